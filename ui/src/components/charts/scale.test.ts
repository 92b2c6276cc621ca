import { describe, expect, it } from 'vitest';
import { indexAt, linePath, maxOf, niceMax, quietZeros } from './scale.ts';

describe('chart scale', () => {
  it('rounds the top of a scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 99, 101, 4500].map((m) => niceMax(m))).toEqual([1, 1, 5, 10, 20, 100, 200, 5000]);
    expect(niceMax(0.3, 0.1)).toBe(0.5);
  });

  it('finds the highest value, skipping empty buckets', () => {
    expect(maxOf([null, 3, 1], [7, null])).toBe(7);
    expect(maxOf([null, null])).toBe(0);
  });

  it('maps a point across the chart to its bucket, clamped', () => {
    expect([0, 0.49, 0.5, 0.999, 1, -1, 2].map((f) => indexAt(f, 60))).toEqual([0, 29, 30, 59, 59, 0, 59]);
  });

  it('draws a line through bucket centres and breaks it where nothing was sampled', () => {
    expect(linePath([0, 5, 10], 100, 10)).toBe('M5 100L15 50L25 0');
    expect(linePath([1, null, 3, 3], 30, 3)).toBe('M5 20L5 20M25 0L35 0');
    expect(linePath([20], 10, 10)).toBe('M5 0L5 0');
  });

  it('leaves runs of zero to the axis but keeps the zeros a line rises from and falls to', () => {
    expect(quietZeros([0, 0, 3, 0, 0, 0])).toEqual([null, 0, 3, 0, null, null]);
    expect(quietZeros([null, 0, 2, null, 0])).toEqual([null, 0, 2, null, null]);
  });
});
