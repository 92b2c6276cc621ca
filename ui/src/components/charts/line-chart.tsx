// Values over time as lines (lag, queue depth): a null bucket breaks the line and shows as not sampled; a
// stretch of zeros is left to the axis.
import { ChartFrame } from './chart-frame.tsx';
import { BUCKET, linePath, maxOf, niceMax, quietZeros } from './scale.ts';
import { bucketSpan } from './time.ts';

export interface LineSeries {
  label: string;
  values: readonly (number | null)[];
  /** CSS class of the line: `out`, `in`, `bad`. */
  tone: string;
}

/**
 * @example <LineChart title="Lag" label="Lag" summary="None" at={s.at} stepSeconds={60}
 *   lines={[{ label: 'Out', values: s.lagOutMs, tone: 'out' }]} format={formatDuration} floor={1000} />
 */
export function LineChart(props: {
  title: string;
  label: string;
  summary: string;
  at: readonly string[];
  stepSeconds: number;
  lines: readonly LineSeries[];
  format: (v: number) => string;
  /** The lowest top of the scale, so a flat line of small values does not fill the chart. */
  floor?: number;
  height?: number;
}) {
  const height = props.height ?? 48;
  const count = props.at.length;
  const max = niceMax(maxOf(...props.lines.map((l) => l.values)), props.floor ?? 1);
  const sampled = (i: number) => props.lines.some((l) => (l.values[i] ?? null) !== null);
  return (
    <ChartFrame
      title={props.title}
      label={props.label}
      summary={props.summary}
      count={count}
      height={height}
      aside={
        <span class="legend">
          {props.lines.map((l) => (
            <span key={l.label} class={`key ${l.tone}`}>
              {l.label}
            </span>
          ))}{' '}
          <span class="muted">max {props.format(max)}</span>
        </span>
      }
      tip={(i) => (
        <>
          <strong>{bucketSpan(props.at[i], props.stepSeconds)}</strong>
          {sampled(i) ? (
            props.lines.map((l) => (
              <div key={l.label}>
                {l.label}: {props.format(l.values[i] ?? 0)}
              </div>
            ))
          ) : (
            <div>Not sampled</div>
          )}
        </>
      )}
    >
      {props.at.map((_, i) =>
        sampled(i) ? null : (
          <rect key={i} class="chart-gap" x={i * BUCKET} y={0} width={BUCKET} height={height} />
        ),
      )}
      <line class="chart-axis" x1={0} x2={count * BUCKET} y1={height - 0.5} y2={height - 0.5} />
      {props.lines.map((l) => (
        <path
          key={l.label}
          class={`line ${l.tone}`}
          d={linePath(quietZeros(l.values), height - 2, max)}
          transform="translate(0 1)"
        />
      ))}
    </ChartFrame>
  );
}
