// Canonical JSON for comparing replicas (sorted keys), and tolerant parsing of stored JSON columns.

/** JSON with object keys sorted, so equal values give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Whether two values are the same JSON (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Different strings or booleans are different JSON whatever the other side is: no need to serialise.
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'string' || ta === 'boolean' || tb === 'string' || tb === 'boolean') return false;
  return canonicalJson(a) === canonicalJson(b);
}
