// Checks at the edge that what a tracker module's `createTracker` returned has every member `Tracker` requires.
import { TandemError } from '../errors.ts';
import { ENTITY_TYPES, type Tracker } from './tracker.ts';

export const NAME_OPTION = '--tracker (TANDEM_TRACKER)';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type MemberKind = 'function' | 'string' | 'list';

/**
 * The members `createTracker` must return and what each must be; the mapped type keeps the table whole
 * (a required member added to `Tracker` and missing here fails the type check, naming it).
 */
export const REQUIRED_MEMBERS: { readonly [K in RequiredKeys<Tracker>]-?: MemberKind } = {
  id: 'string',
  entityTypes: 'list',
  get: 'function',
  getMany: 'function',
  list: 'function',
  changes: 'function',
  head: 'function',
  write: 'function',
  create: 'function',
  update: 'function',
  delete: 'function',
  addComment: 'function',
};

const NEEDED: Record<MemberKind, (member: string) => string> = {
  function: (m) => `${m}() method`,
  string: (m) => `${m} (a non-empty string)`,
  list: (m) => `${m} (a list)`,
};

const fits = (kind: MemberKind, v: unknown) =>
  kind === 'function'
    ? typeof v === 'function'
    : kind === 'string'
      ? typeof v === 'string' && v !== ''
      : Array.isArray(v);

/**
 * The value as a `Tracker`, or `tracker_invalid` naming the first member it lacks (or an entity type it
 * should not offer).
 * @example const tracker = checkTrackerShape(await mod.createTracker(options, context), './acme.ts');
 */
export function checkTrackerShape(value: unknown, name: string): Tracker {
  const what = `The tracker from ${NAME_OPTION} "${name}"`;
  const invalid = (problem: string, member?: string) =>
    new TandemError('TRACKER_INVALID', 400, `${what} ${problem}`, { option: NAME_OPTION, member });
  if (value === null || typeof value !== 'object')
    throw invalid(`is ${value === null ? 'null' : typeof value}: createTracker must return an object`);
  const t = value as Record<string, unknown>;
  for (const [member, kind] of Object.entries(REQUIRED_MEMBERS))
    if (!fits(kind, t[member])) throw invalid(`has no ${NEEDED[kind](member)}`, member);
  const odd = (t.entityTypes as unknown[]).find(
    (type) => !(ENTITY_TYPES as readonly unknown[]).includes(type),
  );
  if (odd !== undefined)
    throw invalid(
      `offers the entity type ${JSON.stringify(odd)}, not one of ${ENTITY_TYPES.join(', ')}`,
      'entityTypes',
    );
  return value as Tracker;
}
