// The Tracker section of the settings page: the system of record, its status, last poll, API calls, rate-limit wait,
// checks, and (for admins) the credentials it takes.
import { useEffect, useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { client, json, type TrackerInfo } from '../../api.ts';
import { Ago, Checks, Empty, WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { TrackerCredentials } from './tracker-credentials.tsx';

/** How often the section asks again while the page is open. */
export const TRACKER_POLL_MS = 10_000;

const KIND_NAMES: Record<string, string> = {
  builtin: 'Built-in store',
  servicenow: 'ServiceNow',
  jira: 'Jira',
};

/** A readable name for a tracker's id; a module's own id as it is. */
export function kindName(kind: string): string {
  return Object.hasOwn(KIND_NAMES, kind) ? (KIND_NAMES[kind] as string) : kind;
}

type TrackerStatus = TrackerInfo['status'];

const STATUS_LABELS: Record<TrackerStatus, string> = { ok: 'OK', degraded: 'Degraded', down: 'Down' };
// The tones of the link status badges (connections/badges.tsx): up ok, slow wait, down bad.
const STATUS_TONES: Record<TrackerStatus, string> = { ok: 'ok', degraded: 'wait', down: 'bad' };

export function TrackerStatusBadge({ status }: { status: TrackerStatus }) {
  return (
    <span class={`badge tone-${STATUS_TONES[status] ?? 'off'}`} data-status={status}>
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}

/** The time of day as HH:MM:SS (24 h), local time. */
const clock = (d: Date) =>
  d.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });

/** "Rate limited by the instance until HH:MM:SS" while that time is ahead; nothing once it has passed. */
function RateLimitWait({ until }: { until: string | null }) {
  const end = until ? new Date(until).getTime() : Number.NaN;
  const [, rerender] = useState(0);
  const waiting = Number.isFinite(end) && end > Date.now();
  // Between two polls the wait may end: take the line away at that moment.
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(() => rerender((n) => n + 1), Math.min(end - Date.now() + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [end, waiting]);
  if (!waiting) return null;
  const d = new Date(end);
  return (
    <p class="notice" role="status">
      Rate limited by the instance until <time dateTime={d.toISOString()}>{clock(d)}</time>
    </p>
  );
}

export function TrackerSection() {
  const tracker = useLoad(() => json(client.tracker.$get()), 'tracker', TRACKER_POLL_MS);
  return (
    <section aria-labelledby="tracker-title">
      <h2 id="tracker-title">Tracker</h2>
      <p class="intro">
        The system of record this host syncs, and how it is doing. Refreshed every 10 seconds.
      </p>
      <WhenLoaded data={tracker.data} error={tracker.error}>
        {(t) => (
          <>
            <dl class="card facts" aria-label="Tracker">
              <dt>Kind</dt>
              <dd data-kind={t.kind}>{kindName(t.kind)}</dd>
              <dt>Instance</dt>
              <dd>{t.url ? <code>{t.url}</code> : <span class="muted">—</span>}</dd>
              <dt>Status</dt>
              <dd>
                <TrackerStatusBadge status={t.status} />
              </dd>
              <dt>Last poll</dt>
              <dd>
                <Ago at={t.lastPollAt} fallback="never" />
              </dd>
              <dt>API calls</dt>
              <dd>
                {t.calls.lastMinute.toLocaleString()} in the last minute, {t.calls.total.toLocaleString()} in
                total
              </dd>
            </dl>
            <RateLimitWait until={t.rateLimitedUntil} />
            <h3 id="tracker-checks-title">Checks</h3>
            {t.checks.length ? (
              <Checks checks={t.checks} label="Tracker checks" />
            ) : (
              <Empty>The tracker reports no checks.</Empty>
            )}
          </>
        )}
      </WhenLoaded>
      {/* Credentials are an admin's: other roles never ask for them. */}
      <Can need="admin">
        <TrackerCredentials onSaved={tracker.reload} />
      </Can>
    </section>
  );
}
