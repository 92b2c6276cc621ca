// sameJson compares as JSON would, at any depth, without recursion.
import { describe, expect, it } from 'vitest';
import { parseJson, sameJson } from './json.ts';

function nested(depth: number, leaf: unknown): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('sameJson', () => {
  it('ignores key order and treats what JSON drops or rewrites the same way JSON does', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([undefined, Number.NaN], [null, null])).toBe(true);
    expect(sameJson({ k: null }, { m: null })).toBe(false);
    expect(sameJson({ k: null }, { k: undefined, m: null })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(sameJson('1', 1)).toBe(false);
  });

  it('compares values nested 100,000 deep (stored before depth bounds existed) without overflowing', () => {
    const deep = nested(100_000, 'x');
    expect(sameJson(deep, nested(100_000, 'x'))).toBe(true);
    expect(sameJson(deep, nested(100_000, 'y'))).toBe(false);
    expect(sameJson(deep, { summary: 'flat' })).toBe(false);
  });
});

describe('parseJson', () => {
  it('reads a stored column, and falls back for one that is unreadable or nested past the bound', () => {
    expect(parseJson('{"a":[1]}', null)).toEqual({ a: [1] });
    expect(parseJson('{"a":', 'fallback')).toBe('fallback');
    expect(parseJson(`${'[{"a":'.repeat(5000)}1${'}]'.repeat(5000)}`, null)).toBeNull();
    expect(parseJson(null, {})).toEqual({});
  });
});
