// Events both ways in one picture: bars above the middle line for one direction, below it for the other.
import { ChartFrame } from './chart-frame.tsx';
import { BUCKET, maxOf, niceMax } from './scale.ts';
import { bucketSpan } from './time.ts';

export interface BarSeries {
  label: string;
  values: readonly (number | null)[];
}

/**
 * @example <MirrorBars title="Events per minute" label="Events" summary="12 out, 3 in" at={s.at}
 *   stepSeconds={60} up={{ label: 'Out', values: s.eventsOut }} down={{ label: 'In', values: s.eventsIn }} />
 */
export function MirrorBars(props: {
  title: string;
  label: string;
  summary: string;
  at: readonly string[];
  stepSeconds: number;
  up: BarSeries;
  down: BarSeries;
  height?: number;
}) {
  const height = props.height ?? 64;
  const mid = height / 2;
  const count = props.at.length;
  const max = niceMax(maxOf(props.up.values, props.down.values));
  const scale = (v: number) => (v / max) * (mid - 1);
  const value = (s: BarSeries, i: number) => s.values[i] ?? null;
  return (
    <ChartFrame
      title={props.title}
      label={props.label}
      summary={props.summary}
      count={count}
      height={height}
      aside={
        <span class="legend">
          <span class="key out">{props.up.label}</span> <span class="key in">{props.down.label}</span>{' '}
          <span class="muted">max {max}</span>
        </span>
      }
      tip={(i) => {
        const up = value(props.up, i);
        const down = value(props.down, i);
        return (
          <>
            <strong>{bucketSpan(props.at[i], props.stepSeconds)}</strong>
            {up === null && down === null ? (
              <div>Not sampled</div>
            ) : (
              <>
                <div>
                  {props.up.label}: {up ?? 0}
                </div>
                <div>
                  {props.down.label}: {down ?? 0}
                </div>
              </>
            )}
          </>
        );
      }}
    >
      {props.at.map((_, i) => {
        const up = value(props.up, i);
        const down = value(props.down, i);
        const x = i * BUCKET;
        if (up === null && down === null)
          return <rect key={i} class="chart-gap" x={x} y={0} width={BUCKET} height={height} />;
        const hUp = scale(up ?? 0);
        const hDown = scale(down ?? 0);
        return (
          <g key={i}>
            {hUp > 0 ? (
              <rect
                class="bar out"
                x={x + 1}
                y={mid - Math.max(hUp, 1)}
                width={BUCKET - 2}
                height={Math.max(hUp, 1)}
              />
            ) : null}
            {hDown > 0 ? (
              <rect class="bar in" x={x + 1} y={mid} width={BUCKET - 2} height={Math.max(hDown, 1)} />
            ) : null}
          </g>
        );
      })}
      <line class="chart-axis" x1={0} x2={count * BUCKET} y1={mid} y2={mid} />
    </ChartFrame>
  );
}
