// Comparing JSON values (key order aside) and tolerant parsing of stored JSON columns.
import { parseBoundedJson } from '../json-bounds.ts';

/**
 * A stored JSON column, or `fallback` when it is missing, unreadable or nested past the bound: a
 * replica stored before depth bounds existed would otherwise break every later run that reads it.
 */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  const read = parseBoundedJson(text);
  return read.ok ? (read.value as T) : fallback;
}

/**
 * `obj[key]` for keys that come from outside (field names, replica keys): only own properties, so
 * `constructor` or `toString` read as absent instead of as Object.prototype's functions.
 */
export function own<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** How JSON.stringify would write a leaf: `undefined`, functions and non-finite numbers differ. */
function leafOf(v: unknown, inArray: boolean): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return inArray ? null : undefined;
  return v;
}

/**
 * Whether two values are the same JSON (key order aside), as if both were serialised. Iterative:
 * stored replicas may come from before depth bounds existed, and a recursive walk of one nested
 * thousands deep would overflow the stack and stop the whole sync step.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') {
      if (leafOf(x, true) !== leafOf(y, true)) return false;
      continue;
    }
    const xa = Array.isArray(x);
    if (xa !== Array.isArray(y)) return false;
    if (xa) {
      const ya = y as unknown[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([leafOf(x[i], true), leafOf(ya[i], true)]);
      continue;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const xk = Object.keys(xo).filter((k) => leafOf(xo[k], false) !== undefined);
    const yk = Object.keys(yo).filter((k) => leafOf(yo[k], false) !== undefined);
    if (xk.length !== yk.length) return false;
    const ys = new Set(yk);
    for (const k of xk) {
      if (!ys.has(k)) return false;
      stack.push([xo[k], yo[k]]);
    }
  }
  return true;
}
