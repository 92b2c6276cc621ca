// Visual mappings as the table edits them: rows from the stored mappings and back, typed values, the scope.
import { ENTITY_TYPES, type Mapping, type Scalar, type VisualScope } from '../../api.ts';

/** One mapping as the table edits it: every value as typed, and a key for the row. */
export interface Row {
  key: number;
  local: string;
  remote: string;
  direction: Mapping['direction'];
  values: { from: string; to: string }[];
  default: string;
  remoteDefault: string;
}

export const ARROWS: Record<Mapping['direction'], string> = { both: '↔', out: '→', in: '←' };
let nextKey = 1;

const show = (v: Scalar | undefined) => (v === undefined || v === null ? '' : String(v));

/** A typed value: numbers and booleans as such, everything else as text. */
export function scalarOf(text: string): Scalar {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return text;
}

function pairsOf(values: Mapping['values']): Row['values'] {
  if (!values) return [];
  if (Array.isArray(values)) return values.map((v) => ({ from: show(v.local), to: show(v.remote) }));
  return Object.entries(values).map(([from, to]) => ({ from, to: show(to) }));
}

export function toRows(mappings: unknown): Row[] {
  if (!Array.isArray(mappings)) return [];
  return (mappings as Mapping[]).map((m) => ({
    key: nextKey++,
    local: m.local ?? '',
    remote: m.remote ?? '',
    direction: m.direction ?? 'both',
    values: pairsOf(m.values),
    default: show(m.default),
    remoteDefault: show(m.remoteDefault),
  }));
}

export function toMapping(r: Row): Mapping {
  const m: Mapping = { local: r.local.trim(), remote: r.remote.trim(), direction: r.direction };
  const values = r.values.filter((v) => v.from.trim() || v.to.trim());
  if (values.length) m.values = values.map((v) => ({ local: scalarOf(v.from), remote: scalarOf(v.to) }));
  if (r.default.trim()) m.default = scalarOf(r.default);
  if (r.remoteDefault.trim()) m.remoteDefault = scalarOf(r.remoteDefault);
  return m;
}

export function scopeOf(scope: unknown): VisualScope {
  const all = [...ENTITY_TYPES];
  const s = (scope ?? {}) as Partial<VisualScope>;
  return {
    local: { types: s.local?.types ?? all },
    remote: { types: s.remote?.types ?? all },
  };
}

/** A new, empty row: both ways, no values, no defaults. */
export function emptyRow(): Row {
  return {
    key: nextKey++,
    local: '',
    remote: '',
    direction: 'both',
    values: [],
    default: '',
    remoteDefault: '',
  };
}
