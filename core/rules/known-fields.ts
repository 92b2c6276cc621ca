// What editors offer as pick-lists: the fields a tracker knows (or has been seen using) and the values seen in them.
import { STANDARD_FIELDS } from '../trackers/builtin/entity-input.ts';
import type { Entity, EntityType, FieldInfo, Tracker } from '../trackers/tracker.ts';

/** How many entities a look at the values reads at most (pages of 200). */
export const SAMPLE_LIMIT = 1000;

/** A field that is listed with the values entities hold in it (status, priority, custom ones). */
export interface KnownField extends FieldInfo {
  /**
   * What a pick-list offers: the tracker's own values first (its `choices`, in its order; priorities 1-5 when it
   * names none), then the other distinct values seen on entities (strings and numbers only), sorted.
   */
  values: (string | number)[];
}

const PAGE = 200;

async function sample(tracker: Tracker, type: EntityType | undefined): Promise<Entity[]> {
  const out: Entity[] = [];
  let cursor: string | undefined;
  do {
    const page = await tracker.list({
      ...(type ? { type } : {}),
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < SAMPLE_LIMIT);
  return out;
}

const kindOf = (v: unknown): FieldInfo['type'] =>
  typeof v === 'number'
    ? 'number'
    : typeof v === 'boolean'
      ? 'boolean'
      : typeof v === 'string'
        ? 'string'
        : 'json';

/**
 * The fields of `types` (every type of the tracker when empty): the tracker's own `fields(type)` where it offers
 * them, else the standard fields; plus custom fields seen on its entities; each with the values it offers and
 * those seen.
 * @example const fields = await knownFields(tracker, ['incident']); // [{name: 'status', values: ['new', ...]}, ...]
 */
export async function knownFields(tracker: Tracker, types: readonly EntityType[]): Promise<KnownField[]> {
  const wanted = types.length ? types : tracker.entityTypes;
  const byName = new Map<string, KnownField>();
  const add = (f: FieldInfo) => {
    const known = byName.get(f.name);
    if (!known) {
      byName.set(f.name, { ...f, ...(f.choices ? { choices: [...f.choices] } : {}), values: [] });
      return;
    }
    // Several types: their choices together (a status of any of them), free text if any type takes it.
    if (!f.choices || !known.choices) return;
    for (const c of f.choices) if (!known.choices.some((k) => k.value === c.value)) known.choices.push(c);
    known.choicesOnly = known.choicesOnly === true && f.choicesOnly === true;
  };
  if (tracker.fields) {
    for (const t of wanted) for (const f of await tracker.fields(t)) add(f);
  } else {
    for (const name of STANDARD_FIELDS)
      add({ name, type: name === 'priority' ? 'number' : 'string', standard: true });
  }
  const entities = (
    await Promise.all((types.length ? types : [undefined]).map((t) => sample(tracker, t)))
  ).flat();
  for (const e of entities) {
    if (!wanted.includes(e.type)) continue;
    for (const [name, value] of Object.entries(e.fields)) {
      if (value === undefined || value === null) continue;
      add({ name, type: kindOf(value), standard: false });
      const f = byName.get(name)!;
      if ((typeof value === 'string' || typeof value === 'number') && value !== '' && f.values.length < 100)
        if (!f.values.includes(value)) f.values.push(value);
    }
  }
  for (const f of byName.values()) {
    const offered = f.choices?.map((c) => c.value) ?? (f.name === 'priority' ? [1, 2, 3, 4, 5] : []);
    const seen = f.values
      .filter((v) => !offered.includes(v))
      .sort((a, b) =>
        typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
      );
    f.values = [...offered, ...seen];
  }
  return [...byName.values()];
}
