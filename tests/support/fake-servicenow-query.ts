// The fake ServiceNow's encoded-query subset: parse `sysparm_query`, match rows, order them.

export interface Condition {
  field: string;
  op: string;
  value: string;
}

export interface ParsedQuery {
  /** `^NQ` groups (OR'ed) of AND terms, each term a list of `^OR` alternatives. */
  groups: Condition[][][];
  orderBy: { field: string; desc: boolean }[];
  /** Parts the fake could not read; ServiceNow ignores invalid parts by default, and so does the fake. */
  invalid: string[];
}

// Longest first, so `>=` is not read as `>` and `NOT IN` not as `IN`.
const OPERATORS = [
  'ISNOTEMPTY',
  'ISEMPTY',
  'STARTSWITH',
  'ENDSWITH',
  'NOT LIKE',
  'NOTLIKE',
  'NOT IN',
  'LIKE',
  'IN',
  '!=',
  '>=',
  '<=',
  '=',
  '>',
  '<',
];

/** Splits on `^`, reading `^^` as a literal caret inside a value. */
export function splitEncoded(query: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === '^' && query[i + 1] === '^') {
      current += '^';
      i++;
    } else if (ch === '^') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.filter((p) => p !== '');
}

function parseCondition(part: string): Condition | null {
  const m = /^([a-z0-9_.]+)/.exec(part);
  if (!m) return null;
  const field = m[1]!;
  const rest = part.slice(field.length);
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op) return null;
  const value = rest.slice(op.length);
  if ((op === 'ISEMPTY' || op === 'ISNOTEMPTY') && value !== '') return null;
  return { field, op: op === 'NOTLIKE' ? 'NOT LIKE' : op, value };
}

export function parseEncodedQuery(query: string): ParsedQuery {
  const out: ParsedQuery = { groups: [[]], orderBy: [], invalid: [] };
  for (const part of splitEncoded(query)) {
    const group = out.groups[out.groups.length - 1]!;
    if (part.startsWith('ORDERBYDESC')) out.orderBy.push({ field: part.slice(11), desc: true });
    else if (part.startsWith('ORDERBY')) out.orderBy.push({ field: part.slice(7), desc: false });
    else if (part === 'EQ') continue;
    else if (part.startsWith('NQ')) {
      const c = parseCondition(part.slice(2));
      out.groups.push(c ? [[c]] : []);
      if (!c) out.invalid.push(part);
    } else if (part.startsWith('OR') && group.length > 0) {
      const c = parseCondition(part.slice(2));
      if (c) group[group.length - 1]!.push(c);
      else out.invalid.push(part);
    } else {
      const c = parseCondition(part);
      if (c) group.push([c]);
      else out.invalid.push(part);
    }
  }
  return out;
}

/** Numbers compare as numbers (choice values, counts); everything else, timestamps included, as text. */
export function compareValues(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function test(actual: string, c: Condition): boolean {
  const lower = actual.toLowerCase();
  const v = c.value.toLowerCase();
  switch (c.op) {
    case '=':
      return actual === c.value;
    case '!=':
      return actual !== c.value;
    case '>':
      return actual !== '' && compareValues(actual, c.value) > 0;
    case '>=':
      return actual !== '' && compareValues(actual, c.value) >= 0;
    case '<':
      return actual !== '' && compareValues(actual, c.value) < 0;
    case '<=':
      return actual !== '' && compareValues(actual, c.value) <= 0;
    case 'IN':
      return c.value.split(',').includes(actual);
    case 'NOT IN':
      return !c.value.split(',').includes(actual);
    case 'STARTSWITH':
      return lower.startsWith(v);
    case 'ENDSWITH':
      return lower.endsWith(v);
    case 'LIKE':
      return lower.includes(v);
    case 'NOT LIKE':
      return !lower.includes(v);
    case 'ISEMPTY':
      return actual === '';
    case 'ISNOTEMPTY':
      return actual !== '';
    default:
      return false;
  }
}

/**
 * Whether a row matches; `read` gives a field's stored value, or undefined for a field the table lacks
 * (such a condition is ignored, as ServiceNow ignores invalid parts, and reported through `onInvalid`).
 */
export function matches(
  q: ParsedQuery,
  read: (field: string) => string | undefined,
  onInvalid: (field: string) => void,
): boolean {
  const groups = q.groups.filter((g) => g.length > 0);
  if (groups.length === 0) return true;
  return groups.some((terms) =>
    terms.every((alternatives) => {
      const known = alternatives.filter((c) => {
        const ok = read(c.field) !== undefined;
        if (!ok) onInvalid(c.field);
        return ok;
      });
      return known.length === 0 || known.some((c) => test(read(c.field)!, c));
    }),
  );
}

export function sortRows<T>(
  rows: T[],
  order: ParsedQuery['orderBy'],
  read: (row: T, field: string) => string,
): T[] {
  if (order.length === 0) return rows;
  return [...rows].sort((a, b) => {
    for (const { field, desc } of order) {
      const d = compareValues(read(a, field), read(b, field));
      if (d !== 0) return desc ? -d : d;
    }
    return 0;
  });
}
