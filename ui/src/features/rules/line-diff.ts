// A line diff of two texts (longest common subsequence), for comparing one rules version with the one before it.

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** Above this many lines on both sides the table would be too big: the diff shows all as removed, then added. */
const MAX_CELLS = 4_000_000;

/**
 * The lines of `after` against `before`, in order: kept, removed and added.
 * @example lineDiff('a\nb', 'a\nc') // [{same a}, {removed b}, {added c}]
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  if (a.length * b.length > MAX_CELLS)
    return [
      ...a.map((text) => ({ kind: 'removed' as const, text })),
      ...b.map((text) => ({ kind: 'added' as const, text })),
    ];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: 'removed', text: a[i++]! });
    else out.push({ kind: 'added', text: b[j++]! });
  }
  while (i < a.length) out.push({ kind: 'removed', text: a[i++]! });
  while (j < b.length) out.push({ kind: 'added', text: b[j++]! });
  return out;
}

/** A rule set as text to compare: the two scripts one after the other, else its JSON. */
export function rulesText(rules: unknown): string {
  const r = (rules ?? {}) as Record<string, unknown>;
  if (typeof r.outgoing === 'string' || typeof r.incoming === 'string')
    return `// Outgoing\n${String(r.outgoing ?? '')}\n// Incoming\n${String(r.incoming ?? '')}`;
  return JSON.stringify(rules ?? null, null, 2);
}
