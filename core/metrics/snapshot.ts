// Reads what /metrics reports from the database and the link hub, once per scrape.
import { sql } from 'kysely';
import type { Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';
import type { MetricsSnapshot } from './metrics.ts';

export async function readSnapshot(db: Db, link: LinkHub | undefined): Promise<MetricsSnapshot> {
  const count = sql<number>`count(*)`.as('n');
  const [connections, streams, inbox, errors] = await Promise.all([
    db.selectFrom('connections').select(['id', 'state']).execute(),
    db.selectFrom('sync_streams').select(['connection_id', 'out_seq', 'out_acked', 'in_high']).execute(),
    db.selectFrom('sync_inbox').select(['connection_id', count]).groupBy('connection_id').execute(),
    db.selectFrom('sync_errors').select(['level', 'status', count]).groupBy(['level', 'status']).execute(),
  ]);
  const streamOf = new Map(streams.map((s) => [s.connection_id, s]));
  const inboxOf = new Map(inbox.map((r) => [r.connection_id, Number(r.n)]));
  const connectionStates: Record<string, number> = {};
  for (const c of connections) connectionStates[c.state] = (connectionStates[c.state] ?? 0) + 1;
  return {
    connectionStates,
    connections: connections.map((c) => {
      const s = streamOf.get(c.id);
      const queuedIn = inboxOf.get(c.id) ?? 0;
      return {
        id: c.id,
        sent: s?.out_acked ?? 0,
        applied: Math.max(0, (s?.in_high ?? 0) - queuedIn),
        queuedOut: Math.max(0, (s?.out_seq ?? 0) - (s?.out_acked ?? 0)),
        queuedIn,
        linkUp: c.state === 'pending' || !link ? null : link.isUp(c.id),
      };
    }),
    errors: errors.map((e) => ({ level: e.level, status: e.status, count: Number(e.n) })),
  };
}
