// The pictures a connection's activity is drawn with, shared by its Activity tab and its dashboard card:
// the same series and summaries, in the sizes and words of each place.
import { LineChart } from '../../components/charts/line-chart.tsx';
import { MirrorBars } from '../../components/charts/mirror-bars.tsx';
import { StatusStrip } from '../../components/charts/status-strip.tsx';
import { eventsSummary, formatDuration, lagSummary, linkSummary, type Series } from './activity-words.ts';

/** `subject` names the connection and `span` follows it with the time shown (" over 1 hour", ", last hour"): for screen readers. */
interface ChartProps {
  s: Series;
  subject: string;
  span: string;
  height?: number;
}

export function EventsBars({
  s,
  subject,
  span,
  height,
  title,
  words,
}: ChartProps & { title: string; words: { up: string; down: string } }) {
  return (
    <MirrorBars
      title={title}
      label={`${title} on ${subject}${span}`}
      summary={eventsSummary(s)}
      at={s.at}
      stepSeconds={s.stepSeconds}
      up={{ label: words.up, values: s.eventsOut }}
      down={{ label: words.down, values: s.eventsIn }}
      height={height ?? 56}
    />
  );
}

export function LagLines({ s, subject, span, height, title }: ChartProps & { title: string }) {
  return (
    <LineChart
      title={title}
      label={`Lag on ${subject}${span}`}
      summary={lagSummary(s)}
      at={s.at}
      stepSeconds={s.stepSeconds}
      lines={[
        { label: 'Out', values: s.lagOutMs, tone: 'out' },
        { label: 'In', values: s.lagInMs, tone: 'in' },
      ]}
      format={formatDuration}
      floor={1000}
      height={height ?? 36}
    />
  );
}

export function LinkStrip({ s, subject, span, height }: ChartProps) {
  return (
    <StatusStrip
      title="Link"
      label={`Link of ${subject}${span}`}
      summary={linkSummary(s)}
      at={s.at}
      stepSeconds={s.stepSeconds}
      linkUp={s.linkUp}
      state={s.state}
      {...(height !== undefined ? { height } : {})}
    />
  );
}
