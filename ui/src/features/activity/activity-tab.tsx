// A connection's Activity tab: its events, lag, queues, link and open errors over the last hour, day or week,
// as pictures with their numbers in a table underneath.
import type { Connection } from '../../api.ts';
import { client, enc, json } from '../../api.ts';
import { LineChart } from '../../components/charts/line-chart.tsx';
import { cellOf } from '../../components/charts/status-strip.tsx';
import { bucketSpan, bucketTime } from '../../components/charts/time.ts';
import { WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import { EventsBars, LagLines, LinkStrip } from './activity-charts.tsx';
import { errorsSummary, formatDuration, perStep, queueSummary, type Series } from './activity-words.ts';
import type { RangeName } from './types.ts';

const RANGES: { id: RangeName; label: string; pollMs: number }[] = [
  { id: '1h', label: '1 hour', pollMs: 15_000 },
  { id: '24h', label: '24 hours', pollMs: 60_000 },
  { id: '7d', label: '7 days', pollMs: 300_000 },
];

const LINK_WORDS = {
  up: 'Up',
  partial: 'Partly down',
  down: 'Down',
  off: 'Off',
  none: '—',
  gap: '—',
} as const;

function Numbers({ s }: { s: Series }) {
  const rows = s.at.map((_, i) => i).filter((i) => s.state[i] !== null);
  return (
    <details class="numbers">
      <summary>
        The numbers ({rows.length} sampled of {s.at.length})
      </summary>
      <div class="table-wrap">
        <table class="data">
          <caption class="sr-only">Activity {perStep(s.stepSeconds)}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Received
              </th>
              <th scope="col" class="num">
                Queued out / in
              </th>
              <th scope="col" class="num">
                Lag out / in
              </th>
              <th scope="col">Link</th>
              <th scope="col" class="num">
                Open errors
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.reverse().map((i) => (
              <tr key={s.at[i]}>
                <td>{bucketSpan(s.at[i], s.stepSeconds)}</td>
                <td class="num">{s.eventsOut[i] ?? 0}</td>
                <td class="num">{s.eventsIn[i] ?? 0}</td>
                <td class="num">
                  {s.queuedOut[i] ?? 0} / {s.queuedIn[i] ?? 0}
                </td>
                <td class="num">
                  {formatDuration(s.lagOutMs[i] ?? 0)} / {formatDuration(s.lagInMs[i] ?? 0)}
                </td>
                <td>{LINK_WORDS[cellOf(s.linkUp[i], s.state[i])]}</td>
                <td class="num">{s.openErrors[i] ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export function ActivityTab({ connection, range }: { connection: Connection; range: string | null }) {
  const current = RANGES.find((r) => r.id === range) ?? RANGES[0]!;
  const activity = useLoad(
    () =>
      json(
        client.connections[':id'].activity.$get({
          param: { id: enc(connection.id) },
          query: { range: current.id },
        }),
      ),
    `${connection.id}:${current.id}`,
    current.pollMs,
  );
  const name = connection.name;
  return (
    <section aria-labelledby="activity-title">
      <div class="tab-head">
        <h2 id="activity-title">Activity</h2>
        <nav aria-label="Time range" class="segmented">
          {RANGES.map((r) => (
            <a
              key={r.id}
              href={href(`/connections/${connection.id}/activity?range=${r.id}`)}
              aria-current={r.id === current.id ? 'page' : undefined}
            >
              {r.label}
            </a>
          ))}
        </nav>
      </div>
      <WhenLoaded data={activity.data} error={activity.error}>
        {(s) => {
          const per = perStep(s.stepSeconds);
          const span = `over ${current.label}`;
          return (
            <div class="activity-charts card">
              <EventsBars
                s={s}
                subject={name}
                span={` ${span}`}
                title={`Events ${per}`}
                words={{ up: 'Sent', down: 'Received' }}
                height={120}
              />
              <LagLines s={s} subject={name} span={` ${span}`} title="Lag (longest wait)" height={80} />
              <LineChart
                title="Queued events"
                label={`Queued events on ${name} ${span}`}
                summary={queueSummary(s)}
                at={s.at}
                stepSeconds={s.stepSeconds}
                lines={[
                  { label: 'Out', values: s.queuedOut, tone: 'out' },
                  { label: 'In', values: s.queuedIn, tone: 'in' },
                ]}
                format={(v) => String(Math.round(v))}
                height={64}
              />
              <LineChart
                title="Open errors"
                label={`Open errors on ${name} ${span}`}
                summary={errorsSummary(s)}
                at={s.at}
                stepSeconds={s.stepSeconds}
                lines={[{ label: 'Open', values: s.openErrors, tone: 'bad' }]}
                format={(v) => String(Math.round(v))}
                height={48}
              />
              <LinkStrip s={s} subject={name} span={` ${span}`} height={16} />
              <div class="chart-axis-labels small muted" aria-hidden="true">
                <span>{bucketTime(s.at[0], s.stepSeconds)}</span>
                <span>{bucketTime(s.at[Math.floor(s.at.length / 2)], s.stepSeconds)}</span>
                <span>now</span>
              </div>
              <p class="small muted">
                Lag is how long the oldest event had waited at each sample: out, for the partner to
                acknowledge it; in, to be applied here. Shaded: minutes the host did not run.
              </p>
              <Numbers s={s} />
            </div>
          );
        }}
      </WhenLoaded>
    </section>
  );
}
