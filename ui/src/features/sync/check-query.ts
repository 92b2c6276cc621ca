// A trigger query checked while it is typed: unbalanced quotes and parentheses, dangling AND/OR, a missing value.

/** Catches the mistakes that are certainly wrong while typing; the host checks the rest on save. */
export function checkQuery(q: string): string | null {
  const s = q.trim();
  if (!s) return 'Enter a query, for example: priority <= 2 AND status != "closed"';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return `Unexpected ")" at position ${i + 1}`;
  }
  if (quote) return 'A quoted value is not closed';
  if (depth > 0) return 'A "(" is not closed';
  if (/^(AND|OR)\b/i.test(s) || /\b(AND|OR|NOT)$/i.test(s)) return 'The query starts or ends with AND/OR';
  if (/(=|!=|<=|>=|<|>)\s*$/.test(s)) return 'A comparison has no value';
  return null;
}
