// A strip of cells, one per bucket, coloured by how the link was: up, down, partly down, off, not sampled.
import { ChartFrame } from './chart-frame.tsx';
import { BUCKET } from './scale.ts';
import { bucketSpan } from './time.ts';

type Cell = 'up' | 'partial' | 'down' | 'off' | 'none' | 'gap';

/** What bucket `i` shows: `off` while deactivated, else by the share of sampled minutes the link was up. */
export function cellOf(linkUp: number | null | undefined, state: string | null | undefined): Cell {
  if (state === undefined || state === null) return 'gap';
  if (state === 'deactivated') return 'off';
  if (linkUp === null || linkUp === undefined) return 'none';
  if (linkUp >= 1) return 'up';
  return linkUp <= 0 ? 'down' : 'partial';
}

const WORDS: Record<Cell, string> = {
  up: 'Link up',
  partial: 'Link down part of the time',
  down: 'Link down',
  off: 'Deactivated',
  none: 'Not paired yet',
  gap: 'Not sampled',
};

/**
 * @example <StatusStrip title="Link" label="Link" summary="Up all hour" at={s.at} stepSeconds={60}
 *   linkUp={s.linkUp} state={s.state} />
 */
export function StatusStrip(props: {
  title: string;
  label: string;
  summary: string;
  at: readonly string[];
  stepSeconds: number;
  linkUp: readonly (number | null)[];
  state: readonly (string | null)[];
  height?: number;
}) {
  const height = props.height ?? 12;
  return (
    <ChartFrame
      class="strip"
      title={props.title}
      label={props.label}
      summary={props.summary}
      count={props.at.length}
      height={height}
      tip={(i) => {
        const up = props.linkUp[i];
        const cell = cellOf(up, props.state[i]);
        return (
          <>
            <strong>{bucketSpan(props.at[i], props.stepSeconds)}</strong>
            <div>
              {WORDS[cell]}
              {cell === 'partial' && typeof up === 'number' ? ` (up ${Math.round(up * 100)} %)` : ''}
            </div>
          </>
        );
      }}
    >
      {props.at.map((_, i) => (
        <rect
          key={i}
          class={`cell ${cellOf(props.linkUp[i], props.state[i])}`}
          x={i * BUCKET + 0.5}
          y={0}
          width={BUCKET - 1}
          height={height}
        />
      ))}
    </ChartFrame>
  );
}
