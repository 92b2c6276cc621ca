// The arithmetic of the console's small charts: bucket geometry, a rounded top of the scale, paths with gaps.

/** Width of one bucket in chart units: a chart is `count * BUCKET` wide, stretched to its box. */
export const BUCKET = 10;

/** The smallest of 1, 2 or 5 times a power of ten at or above `max` (at least `floor`). */
export function niceMax(max: number, floor = 1): number {
  const m = Math.max(max, floor);
  const power = 10 ** Math.floor(Math.log10(m));
  for (const step of [1, 2, 5, 10]) if (step * power >= m) return step * power;
  return 10 * power;
}

/** The highest value of the columns, nulls skipped (0 when all are null). */
export function maxOf(...columns: readonly (readonly (number | null)[])[]): number {
  let max = 0;
  for (const col of columns) for (const v of col) if (v !== null && v > max) max = v;
  return max;
}

/** The bucket under a point `fraction` (0..1) of the way across a chart of `count` buckets. */
export function indexAt(fraction: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.floor(fraction * count)));
}

/**
 * An SVG path through the centres of the buckets, `height` high for `max`; a null bucket breaks the line.
 * @example linePath([0, 5, 10], 100, 10) // 'M5 100L15 50L25 0'
 */
export function linePath(values: readonly (number | null)[], height: number, max: number): string {
  const y = (v: number) => round(height - (Math.min(v, max) / max) * height);
  let d = '';
  let open = false;
  values.forEach((v, i) => {
    if (v === null) {
      open = false;
      return;
    }
    const x = i * BUCKET + BUCKET / 2;
    const next = values[i + 1];
    if (!open) {
      d += `M${x} ${y(v)}`;
      // A point with no neighbour is drawn as a short flat stroke so it shows.
      if (next === null || next === undefined) d += `L${x} ${y(v)}`;
      open = true;
    } else d += `L${x} ${y(v)}`;
  });
  return d;
}

/**
 * The values with their runs of zero left out (null), the zeros next to a non-zero value kept so rises and
 * falls still draw: a line along the axis says nothing the axis does not.
 * @example quietZeros([0, 0, 3, 0, 0, 0]) // [null, 0, 3, 0, null, null]
 */
export function quietZeros(values: readonly (number | null)[]): (number | null)[] {
  const loud = (v: number | null | undefined) => v !== null && v !== undefined && v !== 0;
  return values.map((v, i) => (v === 0 && !loud(values[i - 1]) && !loud(values[i + 1]) ? null : v));
}

const round = (n: number) => Math.round(n * 100) / 100;
