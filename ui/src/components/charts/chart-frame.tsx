// The frame every small chart shares: a caption, the plot (an SVG stretched to the width), a crosshair and a
// tooltip that follow the pointer or the arrow keys, and a label that says in words what the picture shows.
import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { BUCKET, indexAt } from './scale.ts';

export interface ChartFrameProps {
  /** What the chart is, shown above it ("Events per minute"). */
  title: ComponentChildren;
  /** The chart's name for assistive technology, with `summary` its text alternative. */
  label: string;
  /** The picture in words: totals, peaks, the value now. */
  summary: string;
  count: number;
  /** Plot height in chart units (and CSS pixels). */
  height: number;
  /** What the tooltip says about bucket `i`. */
  tip: (i: number) => ComponentChildren;
  /** Shown beside the title: the legend, the value now. */
  aside?: ComponentChildren;
  /** The plot's shapes, in chart units: `count * BUCKET` wide, `height` high. */
  children: ComponentChildren;
  class?: string;
}

/**
 * @example <ChartFrame title="Lag" label="Lag" summary="No lag" count={60} height={40} tip={(i) => ...}>
 *   <path d={linePath(values, 40, max)} /></ChartFrame>
 */
export function ChartFrame(props: ChartFrameProps) {
  const [index, setIndex] = useState<number | null>(null);
  const tipId = useId();
  const { count, height } = props;
  const width = count * BUCKET;
  const fromPointer = (e: MouseEvent) => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    if (box.width > 0) setIndex(indexAt((e.clientX - box.left) / box.width, count));
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, Home: -count, End: count }[e.key];
    if (e.key === 'Escape') setIndex(null);
    if (step === undefined) return;
    e.preventDefault();
    setIndex((i) => Math.min(count - 1, Math.max(0, (i ?? count) + step)));
  };
  const right = index !== null && index > count / 2;
  return (
    <figure class={`chart ${props.class ?? ''}`}>
      <figcaption>
        <span class="chart-title">{props.title}</span>
        {props.aside ? <span class="chart-aside">{props.aside}</span> : null}
      </figcaption>
      <div
        class="chart-plot"
        role="img"
        aria-label={`${props.label}. ${props.summary}`}
        aria-describedby={index !== null ? tipId : undefined}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the arrow keys move through the buckets
        tabIndex={0}
        onMouseMove={fromPointer}
        onMouseLeave={() => setIndex(null)}
        onBlur={() => setIndex(null)}
        onKeyDown={onKeyDown}
        style={{ height: `${height}px` }}
      >
        <svg
          viewBox={`0 0 ${width} ${height}`}
          preserveAspectRatio="none"
          width="100%"
          height={height}
          aria-hidden="true"
          focusable="false"
        >
          {props.children}
          {index !== null ? (
            <rect class="chart-cursor" x={index * BUCKET} y={0} width={BUCKET} height={height} />
          ) : null}
        </svg>
        {index !== null ? (
          <div
            id={tipId}
            class={`chart-tip${right ? ' right' : ''}`}
            style={{ left: `${((index + 0.5) / count) * 100}%` }}
            aria-live="polite"
          >
            {props.tip(index)}
          </div>
        ) : null}
      </div>
    </figure>
  );
}
