// The dashboard: every connection's state, links, last sync, queues, lag and open errors now, with its last
// hour as series, and the totals of the whole node.
import { sql } from 'kysely';
import { IN_LIST_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { Db } from '../../storage/schema.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import type { Connection } from '../connections/connection-view.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { Clock } from '../sync/clock.ts';
import { minuteKey, waited } from './minutes.ts';
import { type ConnectionNow, readNow } from './read-now.ts';
import { readSeries } from './read-series.ts';
import { type ActivitySeries, bucketsOf, type RangeName } from './series.ts';

export interface DashboardItem {
  id: string;
  name: string;
  mode: Connection['mode'];
  state: Connection['state'];
  outbound: Connection['outbound'];
  inbound: Connection['inbound'];
  localName: string;
  remoteName: string;
  peer: { name: string | null; url: string | null };
  link: { up: boolean; since: string | null };
  /** The last time an entity of this connection was sent or applied. */
  lastSyncAt: string | null;
  openErrors: number;
  queuedOut: number;
  queuedIn: number;
  /** How long the oldest event the peer has not acknowledged has waited (0: none waits). */
  lagOutMs: number;
  /** How long the oldest event waiting here to be applied has waited (0: none waits). */
  lagInMs: number;
  activity: ActivitySeries;
}

export interface DashboardSummary {
  connections: number;
  byState: Record<string, number>;
  /** Active connections whose link is down. */
  linksDown: number;
  openErrors: number;
  queuedOut: number;
  queuedIn: number;
  /** Events over the last hour, all connections together. */
  eventsOut: number;
  eventsIn: number;
}

export interface DashboardPage {
  items: DashboardItem[];
  nextCursor?: string;
  summary: DashboardSummary;
  generatedAt: string;
}

export interface Dashboard {
  page(opts: { limit: number; cursor?: string | undefined }): Promise<DashboardPage>;
  /** One connection's series over a range (undefined for a connection that does not exist). */
  activity(id: string, range: RangeName): Promise<ActivitySeries | undefined>;
}

async function lastSyncs(db: Db, ids: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await inChunks(
    ids,
    (chunk) =>
      db
        .selectFrom('sync_twins')
        .select(['connection_id', (eb) => eb.fn.max('last_synced_at').as('at')])
        .where('connection_id', 'in', chunk)
        .groupBy('connection_id')
        .execute(),
    IN_LIST_CHUNK,
  );
  return new Map(rows.map((r) => [r.connection_id, r.at ?? null]));
}

async function hourTotals(db: Db, now: number): Promise<{ eventsOut: number; eventsIn: number }> {
  const row = await db
    .selectFrom('activity_minutes')
    .select([sql<number | null>`sum(events_out)`.as('out'), sql<number | null>`sum(events_in)`.as('in')])
    .where('minute', '>=', minuteKey(bucketsOf('1h', now).from))
    .where('connection_id', 'in', (eb) => eb.selectFrom('connections').select('id'))
    .executeTakeFirst();
  return { eventsOut: Number(row?.out ?? 0), eventsIn: Number(row?.in ?? 0) };
}

function summarize(all: readonly ConnectionNow[]): Omit<DashboardSummary, 'eventsOut' | 'eventsIn'> {
  const byState: Record<string, number> = {};
  let linksDown = 0;
  let openErrors = 0;
  let queuedOut = 0;
  let queuedIn = 0;
  for (const c of all) {
    byState[c.state] = (byState[c.state] ?? 0) + 1;
    if (c.state === 'active' && c.linkUp === false) linksDown++;
    openErrors += c.openErrors;
    queuedOut += c.queuedOut;
    queuedIn += c.queuedIn;
  }
  return { connections: all.length, byState, linksDown, openErrors, queuedOut, queuedIn };
}

/**
 * @example const dashboard = createDashboard({ db, connections, link, clock: realClock });
 * const { items, summary } = await dashboard.page({ limit: 50 });
 */
export function createDashboard(deps: {
  db: Db;
  connections: ConnectionService;
  link: LinkHub;
  clock: Clock;
}): Dashboard {
  const { db, connections, link, clock } = deps;
  return {
    async page({ limit, cursor }) {
      const now = clock.now();
      const at = new Date(now).toISOString();
      const page = await connections.page({ limit, cursor });
      const ids = page.items.map((c) => c.id);
      const [all, series, synced, totals] = await Promise.all([
        readNow(db, link),
        readSeries(db, ids, '1h', now),
        lastSyncs(db, ids),
        hourTotals(db, now),
      ]);
      const nowOf = new Map(all.map((c) => [c.id, c]));
      const items = page.items.map((c): DashboardItem => {
        const live = nowOf.get(c.id);
        return {
          id: c.id,
          name: c.name,
          mode: c.mode,
          state: c.state,
          outbound: c.outbound,
          inbound: c.inbound,
          localName: c.localName,
          remoteName: c.remoteName,
          peer: { name: c.peer.name, url: c.peer.url },
          link: { up: c.link.up, since: c.link.since },
          lastSyncAt: synced.get(c.id) ?? null,
          openErrors: live?.openErrors ?? c.counts.errors,
          queuedOut: live?.queuedOut ?? c.counts.queuedOut,
          queuedIn: live?.queuedIn ?? c.counts.queuedIn,
          lagOutMs: waited(live?.oldestOutAt ?? null, at),
          lagInMs: waited(live?.oldestInAt ?? null, at),
          activity: series.get(c.id)!,
        };
      });
      return {
        items,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        summary: { ...summarize(all), ...totals },
        generatedAt: at,
      };
    },

    async activity(id, range) {
      if (!(await connections.get(id))) return undefined;
      return (await readSeries(db, [id], range, clock.now())).get(id);
    },
  };
}
