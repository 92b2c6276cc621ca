// The Visual mode mapping model: validation (shape and conflicts) and the mirror the other side runs.
import { z } from 'zod';
import { type FieldIssue, TandemError, validationFailed } from '../../core/errors.ts';
import { toIssues } from '../../core/trackers/builtin/entity-input.ts';
import { ENTITY_TYPES, type EntityType } from '../../core/trackers/tracker.ts';

export type Direction = 'both' | 'out' | 'in';
export type Scalar = string | number | boolean | null;

/** One value translation: `local` here is `remote` on the other side. */
export interface ValuePair {
  local: Scalar;
  remote: Scalar;
}

/**
 * A field of this side mapped to a field of the other side.
 * `default` is used here when an incoming value is missing or has no pair in `values`;
 * `remoteDefault` is the same for the other side (it becomes `default` in its mirror).
 */
export interface Mapping {
  local: string;
  remote: string;
  direction: Direction;
  values?: ValuePair[];
  default?: Scalar;
  remoteDefault?: Scalar;
}

export interface VisualRules {
  mappings: Mapping[];
  /** The entity types each side sends; the receiver unlinks anything else. */
  scope: { local: { types: EntityType[] }; remote: { types: EntityType[] } };
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const READ_ONLY = new Set(['id', 'key']);
const NUMERIC = new Set(['priority']);
const MAX_MAPPINGS = 200;
const MAX_VALUES = 500;

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
const field = z.string().regex(FIELD, 'must be a field name (letters, digits, _)');
const mappingSchema = z.strictObject({
  local: field,
  remote: field,
  direction: z.enum(['both', 'out', 'in'], { message: 'must be "both", "out" or "in"' }),
  values: z
    .union([
      z.array(z.strictObject({ local: scalar, remote: scalar })).max(MAX_VALUES),
      z.record(z.string().max(1000), scalar),
    ])
    .optional(),
  default: scalar.optional(),
  remoteDefault: scalar.optional(),
});
const side = z.strictObject({ types: z.array(z.enum(ENTITY_TYPES)).min(1).max(ENTITY_TYPES.length) });
const schema = z.strictObject({
  mappings: z.array(mappingSchema).max(MAX_MAPPINGS),
  scope: z.strictObject({ local: side, remote: side }).optional(),
});

/** `{ "1": "critical" }` becomes `[{local: 1, remote: "critical"}]` (numbers for numeric fields). */
function pairsOf(local: string, values: z.infer<typeof mappingSchema>['values']): ValuePair[] | undefined {
  if (values === undefined) return undefined;
  if (Array.isArray(values)) return values;
  return Object.entries(values).map(([k, remote]) => ({
    local: NUMERIC.has(local) && /^-?\d+(\.\d+)?$/.test(k) ? Number(k) : k,
    remote,
  }));
}

const writesLocal = (d: Direction) => d !== 'out';
const writesRemote = (d: Direction) => d !== 'in';

/** Refuses mappings that cannot run: read-only targets, comments mixed with fields, two writers of one field. */
function conflicts(mappings: Mapping[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const localWriter = new Map<string, number>();
  const remoteWriter = new Map<string, number>();
  const pairs = new Map<string, number>();
  mappings.forEach((m, i) => {
    const at = `mappings.${i}`;
    const pair = `${m.local}\u0000${m.remote}`;
    if (pairs.has(pair))
      issues.push({ path: at, message: `repeats mappings.${pairs.get(pair)} (${m.local} <-> ${m.remote})` });
    pairs.set(pair, i);
    if ((m.local === 'comments') !== (m.remote === 'comments')) {
      issues.push({ path: at, message: 'comments map only to comments' });
    }
    if (m.local === 'comments' && (m.values || m.default !== undefined || m.remoteDefault !== undefined)) {
      issues.push({ path: at, message: 'comments take no values or defaults' });
    }
    if (writesLocal(m.direction)) {
      if (READ_ONLY.has(m.local))
        issues.push({
          path: `${at}.local`,
          message: `${m.local} is read-only and cannot be written by incoming changes`,
        });
      const prev = localWriter.get(m.local);
      if (prev !== undefined) {
        issues.push({
          path: at,
          message: `conflicts with mappings.${prev}: both write the local field "${m.local}" on incoming changes`,
        });
      } else localWriter.set(m.local, i);
    }
    if (writesRemote(m.direction)) {
      if (READ_ONLY.has(m.remote))
        issues.push({ path: `${at}.remote`, message: `${m.remote} is read-only on the other side` });
      const prev = remoteWriter.get(m.remote);
      if (prev !== undefined) {
        issues.push({
          path: at,
          message: `conflicts with mappings.${prev}: both write the remote field "${m.remote}" on the other side`,
        });
      } else remoteWriter.set(m.remote, i);
    }
    // Checked both ways, so the mirror the other side runs is never refused there.
    const seen = new Map<string, Scalar>();
    const seenRemote = new Map<string, Scalar>();
    for (const v of m.values ?? []) {
      const key = JSON.stringify(v.local);
      if (seen.has(key) && seen.get(key) !== v.remote) {
        issues.push({
          path: `${at}.values`,
          message: `the local value ${key} maps to two different remote values`,
        });
      }
      seen.set(key, v.remote);
      const remoteKey = JSON.stringify(v.remote);
      if (seenRemote.has(remoteKey) && seenRemote.get(remoteKey) !== v.local) {
        issues.push({
          path: `${at}.values`,
          message: `the remote value ${remoteKey} maps to two different local values`,
        });
      }
      seenRemote.set(remoteKey, v.local);
    }
  });
  return issues;
}

/** Validates a visual rule set from the edge: 422 `validation_failed` for shape, 422 `mapping_conflict` for conflicts. */
export function parseVisualRules(input: unknown): VisualRules {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationFailed(toIssues(parsed.error), 'The visual mapping is not valid');
  const mappings: Mapping[] = parsed.data.mappings.map((m) => {
    const out: Mapping = { local: m.local, remote: m.remote, direction: m.direction };
    const values = pairsOf(m.local, m.values);
    if (values) out.values = values;
    if (m.default !== undefined) out.default = m.default;
    if (m.remoteDefault !== undefined) out.remoteDefault = m.remoteDefault;
    return out;
  });
  const issues = conflicts(mappings);
  if (issues.length) {
    throw new TandemError(
      'MAPPING_CONFLICT',
      422,
      `The visual mapping has conflicts: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      {
        errors: issues,
      },
    );
  }
  const all = [...ENTITY_TYPES];
  return { mappings, scope: parsed.data.scope ?? { local: { types: all }, remote: { types: all } } };
}

/** The same mapping seen from the other side: local and remote swapped, directions and defaults too. */
export function mirrorVisualRules(rules: VisualRules): VisualRules {
  const flip: Record<Direction, Direction> = { both: 'both', out: 'in', in: 'out' };
  return {
    mappings: rules.mappings.map((m) => {
      const out: Mapping = { local: m.remote, remote: m.local, direction: flip[m.direction] };
      if (m.values) out.values = m.values.map((v) => ({ local: v.remote, remote: v.local }));
      if (m.remoteDefault !== undefined) out.default = m.remoteDefault;
      if (m.default !== undefined) out.remoteDefault = m.default;
      return out;
    }),
    scope: { local: rules.scope.remote, remote: rules.scope.local },
  };
}
