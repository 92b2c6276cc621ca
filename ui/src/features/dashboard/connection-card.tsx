// One connection on the dashboard: state, both directions, last sync, queue, lag now, open errors, and its
// last hour as pictures (events both ways, lag, the link).

import { Ago } from '../../components/ui.tsx';
import { href } from '../../router.ts';
import { EventsBars, LagLines, LinkStrip } from '../activity/activity-charts.tsx';
import { formatDuration } from '../activity/activity-words.ts';
import type { DashboardItem } from '../activity/types.ts';
import { LinkBadge, ModeBadge, StateBadge } from '../connections/badges.tsx';

export function ConnectionCard({ item: c }: { item: DashboardItem }) {
  const s = c.activity;
  const off = c.state === 'deactivated';
  const titleId = `dash-${c.id}`;
  return (
    <article class="card dash-card" aria-labelledby={titleId} data-connection={c.id}>
      <header class="dash-card-head">
        <div>
          <h2 id={titleId}>
            <a href={href(`/connections/${c.id}`)}>{c.name}</a>
          </h2>
          <div class="muted small">
            {c.localName} ↔ {c.remoteName}
            {c.peer.name ? ` · ${c.peer.name}` : ''} · <ModeBadge mode={c.mode} />
          </div>
        </div>
        <StateBadge state={c.state} />
      </header>
      <dl class="dash-facts">
        <div>
          <dt>Outbound</dt>
          <dd>
            <LinkBadge status={c.outbound} off={off} />
          </dd>
        </div>
        <div>
          <dt>Inbound</dt>
          <dd>
            <LinkBadge status={c.inbound} off={off} />
          </dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            <Ago at={c.lastSyncAt} fallback="Never" />
          </dd>
        </div>
        <div>
          <dt>Queued</dt>
          <dd>
            <span title="Waiting for the partner / waiting here">
              {c.queuedOut} out · {c.queuedIn} in
            </span>
          </dd>
        </div>
        <div>
          <dt>Lag now</dt>
          <dd class={c.lagOutMs >= 60_000 || c.lagInMs >= 60_000 ? 'warn' : undefined}>
            {c.lagOutMs || c.lagInMs
              ? `${formatDuration(c.lagOutMs)} out · ${formatDuration(c.lagInMs)} in`
              : 'None'}
          </dd>
        </div>
        <div>
          <dt>Open errors</dt>
          <dd>
            {c.openErrors ? (
              <a class="error-count" href={href(`/connections/${c.id}/errors`)}>
                {c.openErrors} open<span class="sr-only"> errors on {c.name}</span>
              </a>
            ) : (
              <span class="ok-text">None</span>
            )}
          </dd>
        </div>
      </dl>
      {c.state === 'pending' ? (
        <p class="dash-note muted small">
          Waiting for the partner to accept the invitation: its activity shows here once they do.
        </p>
      ) : (
        <div class="dash-charts">
          <EventsBars
            s={s}
            subject={c.name}
            span=", last hour"
            title="Events per minute"
            words={{ up: 'Out', down: 'In' }}
          />
          <LagLines s={s} subject={c.name} span=", last hour" title="Lag" />
          <LinkStrip s={s} subject={c.name} span=", last hour" />
          <div class="chart-axis-labels small muted" aria-hidden="true">
            <span>1 hour ago</span>
            <span>now</span>
          </div>
        </div>
      )}
      {c.state === 'pending' ? null : (
        <p class="dash-more small">
          <a href={href(`/connections/${c.id}/activity`)}>Activity over 24 hours and 7 days</a>
        </p>
      )}
    </article>
  );
}
