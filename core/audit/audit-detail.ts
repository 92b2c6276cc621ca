// Audit details kept safe and small: credentials blanked out, long text cut, the whole bounded; rule diffs by line.

/** Keys whose values are credentials and never reach the log (an invitation `code` is a bearer secret). */
const SECRET_KEY = /pass(word)?|secret|token|^code$|key$|authorization|credential/i;
const MAX_STRING = 500;
const MAX_DETAIL_CHARS = 64 * 1024;
const MAX_DEPTH = 6;

/**
 * A copy of `value` with credential fields replaced by `"[redacted]"` and long strings shortened.
 * @example redact({ email: 'a@b.c', password: 'x' }) // { email: 'a@b.c', password: '[redacted]' }
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/** The detail as stored: at most 64 KiB of JSON (a larger one keeps its beginning, marked as cut). */
export function boundedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(detail);
  if (text.length <= MAX_DETAIL_CHARS) return detail;
  // The preview is escaped again inside the stored JSON, so it shrinks until the whole fits.
  let keep = MAX_DETAIL_CHARS - 100;
  for (;;) {
    const out = { truncated: true, preview: text.slice(0, keep) };
    if (JSON.stringify(out).length <= MAX_DETAIL_CHARS) return out;
    keep = Math.floor(keep * 0.8);
  }
}

const MAX_DIFF_LINES = 400;

/**
 * What changed between two texts, line by line (`-` removed, `+` added, unchanged lines left out), from a
 * longest common subsequence; at most 400 lines.
 * @example lineDiff('a\nb', 'a\nc') // ['- b', '+ c']
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // Common head and tail first: a rule edit usually touches a few lines in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if (x.length * y.length > 4_000_000)
    return [...x.map((l) => `- ${l}`), ...y.map((l) => `+ ${l}`)].slice(0, MAX_DIFF_LINES);
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while ((i < x.length || j < y.length) && out.length < MAX_DIFF_LINES) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!))
      out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out;
}

/**
 * The difference of two rule sets, per part: script text by line, anything else (visual mappings, scope) as
 * pretty JSON by line. Parts that did not change are left out.
 */
export function ruleSetDiff(before: unknown, after: unknown): Record<string, string[]> {
  const asRecord = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
  const b = asRecord(before);
  const a = asRecord(after);
  const text = (v: unknown) =>
    typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v, null, 2);
  const out: Record<string, string[]> = {};
  for (const part of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const diff = lineDiff(text(b[part]), text(a[part]));
    if (diff.length) out[part] = diff;
  }
  return out;
}
