// Reads where each connection stands right now from the database and the link hub: what the sampler records.
import { type ExpressionBuilder, sql } from 'kysely';
import { IN_LIST_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { Database, Db } from '../../storage/schema.ts';
import type { LinkHub } from '../link/link-hub.ts';

/** One connection at one moment: its stream counters, queues, the oldest waiting events, its link. */
export interface ConnectionNow {
  id: string;
  state: string;
  createdAt: string;
  /** null before pairing (a pending connection has no link to be up or down). */
  linkUp: boolean | null;
  outSeq: number;
  outAcked: number;
  inHigh: number;
  queuedOut: number;
  queuedIn: number;
  /** When the oldest event the peer has not acknowledged was queued; null when none waits. */
  oldestOutAt: string | null;
  /** When the oldest event waiting here to be applied arrived (held by no failed event); null when none waits. */
  oldestInAt: string | null;
  openErrors: number;
}

const count = sql<number>`count(*)`.as('n');

/** Inbox events of an entity whose earlier event failed wait for a retry or resolve: they are errors, not lag. */
const notHeld = (eb: ExpressionBuilder<Database & { i: Database['sync_inbox'] }, 'i'>) =>
  eb.not(
    eb.exists(
      eb
        .selectFrom('sync_inbox as f')
        .select(sql`1`.as('one'))
        .whereRef('f.connection_id', '=', 'i.connection_id')
        .whereRef('f.remote_id', '=', 'i.remote_id')
        .where('f.status', '=', 'failed'),
    ),
  );

async function oldestOut(db: Db, id: string): Promise<string | null> {
  const row = await db
    .selectFrom('sync_outbox')
    .select('created_at')
    .where('connection_id', '=', id)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}

async function oldestIn(db: Db, id: string): Promise<string | null> {
  const row = await db
    .selectFrom('sync_inbox as i')
    .select('i.received_at')
    .where('i.connection_id', '=', id)
    .where('i.status', '=', 'pending')
    .where(notHeld)
    .orderBy('i.seq')
    .limit(1)
    .executeTakeFirst();
  return row?.received_at ?? null;
}

/**
 * Every connection (or those of `ids`) as it stands: one query per table, plus one indexed look per
 * connection that has something queued.
 * @example const now = await readNow(db, link); now[0]?.queuedOut
 */
export async function readNow(
  db: Db,
  link: LinkHub | undefined,
  ids?: readonly string[],
): Promise<ConnectionNow[]> {
  const scoped = async <R>(run: (chunk: string[] | undefined) => Promise<R[]>): Promise<R[]> =>
    ids ? inChunks(ids, run, IN_LIST_CHUNK) : run(undefined);
  const [connections, streams, inbox, errors] = await Promise.all([
    scoped((chunk) => {
      const q = db.selectFrom('connections').select(['id', 'state', 'created_at']);
      return (chunk ? q.where('id', 'in', chunk) : q).execute();
    }),
    scoped((chunk) => {
      const q = db.selectFrom('sync_streams').select(['connection_id', 'out_seq', 'out_acked', 'in_high']);
      return (chunk ? q.where('connection_id', 'in', chunk) : q).execute();
    }),
    scoped((chunk) => {
      const q = db.selectFrom('sync_inbox').select(['connection_id', count]).groupBy('connection_id');
      return (chunk ? q.where('connection_id', 'in', chunk) : q).execute();
    }),
    scoped((chunk) => {
      const q = db
        .selectFrom('sync_errors')
        .select(['connection_id', count])
        .where('status', '=', 'open')
        .groupBy('connection_id');
      return (chunk ? q.where('connection_id', 'in', chunk) : q).execute();
    }),
  ]);
  const streamOf = new Map(streams.map((s) => [s.connection_id, s]));
  const inboxOf = new Map(inbox.map((r) => [r.connection_id, Number(r.n)]));
  const errorsOf = new Map(errors.map((r) => [r.connection_id, Number(r.n)]));
  const out: ConnectionNow[] = [];
  for (const c of connections) {
    const s = streamOf.get(c.id);
    const outSeq = Number(s?.out_seq ?? 0);
    const outAcked = Number(s?.out_acked ?? 0);
    const queuedOut = Math.max(0, outSeq - outAcked);
    const queuedIn = inboxOf.get(c.id) ?? 0;
    out.push({
      id: c.id,
      state: c.state,
      createdAt: c.created_at,
      linkUp: c.state === 'pending' || !link ? null : link.isUp(c.id),
      outSeq,
      outAcked,
      inHigh: Number(s?.in_high ?? 0),
      queuedOut,
      queuedIn,
      oldestOutAt: queuedOut > 0 ? await oldestOut(db, c.id) : null,
      oldestInAt: queuedIn > 0 ? await oldestIn(db, c.id) : null,
      openErrors: errorsOf.get(c.id) ?? 0,
    });
  }
  return out;
}
