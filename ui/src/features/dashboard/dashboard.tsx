// The dashboard, the console's landing page: the node at a glance, then one card per connection with its last
// hour as pictures; refreshed every few seconds.
import { useState } from 'preact/hooks';
import { client, json } from '../../api.ts';
import { Empty, Page, Problem, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import type { DashboardItem, DashboardPage } from '../activity/types.ts';
import { ConnectionCard } from './connection-card.tsx';

export const DASHBOARD_POLL_MS = 5000;
const PAGE = 50;

function Tiles({ summary: s }: { summary: DashboardPage['summary'] }) {
  const active = s.byState.active ?? 0;
  const attention = (s.byState.error ?? 0) + (s.byState.validation_failed ?? 0);
  return (
    <ul class="tiles" aria-label="This node at a glance">
      <li class="tile">
        <span class="tile-value">{s.connections}</span>
        <span class="tile-label">
          connections · {active} active
          {s.byState.deactivated ? ` · ${s.byState.deactivated} deactivated` : ''}
        </span>
      </li>
      <li class={`tile ${s.linksDown || attention ? 'bad' : 'ok'}`}>
        <span class="tile-value">{s.linksDown + attention}</span>
        <span class="tile-label">links down or in error</span>
      </li>
      <li class={`tile ${s.openErrors ? 'bad' : 'ok'}`}>
        <span class="tile-value">{s.openErrors ? <a href={href('/errors')}>{s.openErrors}</a> : 0}</span>
        <span class="tile-label">open errors</span>
      </li>
      <li class="tile">
        <span class="tile-value">
          {s.eventsOut} <span class="tile-sep">/</span> {s.eventsIn}
        </span>
        <span class="tile-label">events sent / received, last hour</span>
      </li>
      <li class={`tile ${s.queuedOut + s.queuedIn ? 'wait' : ''}`}>
        <span class="tile-value">
          {s.queuedOut} <span class="tile-sep">/</span> {s.queuedIn}
        </span>
        <span class="tile-label">queued out / in now</span>
      </li>
    </ul>
  );
}

function NoConnections() {
  return (
    <Empty>
      <strong>No connections yet.</strong> A connection links this node with one partner's Tandem; once it
      syncs, its events, lag and link show here minute by minute.{' '}
      <a href={href('/connections/initiate')}>Initiate a connection</a>,{' '}
      <a href={href('/connections/accept')}>accept an invitation</a>, or read{' '}
      <a href={href('/getting-started')}>Getting started</a>.
    </Empty>
  );
}

export function Dashboard() {
  const first = useLoad(
    () => json(client.dashboard.$get({ query: { limit: String(PAGE) } })),
    'dashboard',
    DASHBOARD_POLL_MS,
  );
  const [more, setMore] = useState<{ items: DashboardItem[]; next?: string | undefined }>({ items: [] });
  const loading = useAction();
  const next = more.items.length ? more.next : first.data?.nextCursor;
  const loadMore = async () => {
    const r = await loading.run(() =>
      json(client.dashboard.$get({ query: { limit: String(PAGE), ...(next ? { cursor: next } : {}) } })),
    );
    if (r) setMore({ items: [...more.items, ...r.items], next: r.nextCursor });
  };
  return (
    <Page
      title="Dashboard"
      intro="Every connection at a glance: its state, both directions, the last sync, and its last hour in pictures."
      actions={
        <a class="button" href={href('/connections/initiate')}>
          Initiate connection
        </a>
      }
    >
      <WhenLoaded data={first.data} error={first.error}>
        {(d) =>
          d.items.length === 0 ? (
            <NoConnections />
          ) : (
            <>
              <Tiles summary={d.summary} />
              <div class="dash-grid">
                {[...d.items, ...more.items].map((c) => (
                  <ConnectionCard key={c.id} item={c} />
                ))}
              </div>
              <Problem error={loading.error} />
              {next ? (
                <button type="button" class="button" disabled={loading.busy} onClick={() => void loadMore()}>
                  Show more connections
                </button>
              ) : null}
              <p class="muted small">
                Sampled once a minute and refreshed every {DASHBOARD_POLL_MS / 1000} seconds. Hover a chart,
                or focus it and use the arrow keys, for the value of each minute.
              </p>
            </>
          )
        }
      </WhenLoaded>
    </Page>
  );
}
