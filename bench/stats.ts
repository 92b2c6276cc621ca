// Small numeric helpers for the benchmark: percentiles and rounding.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LatencyFigure {
  p50: number;
  p99: number;
  samples: number;
  ratePerSecond: number;
}

export function latencyFigure(samplesMs: readonly number[], ratePerSecond: number): LatencyFigure {
  return {
    p50: round(percentile(samplesMs, 50), 2),
    p99: round(percentile(samplesMs, 99), 2),
    samples: samplesMs.length,
    ratePerSecond,
  };
}
