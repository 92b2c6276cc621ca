// Per-connection stream positions: change-feed cursor, last outbox sequence, peer ack, inbox high-water mark.
import { inChunks } from '../../storage/chunks.ts';
import { columnsOf, perShape, prepared } from '../../storage/prepared.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncStreamTable } from '../../storage/sync-tables.ts';

export type Stream = SyncStreamTable;

const selectStream = prepared((db, connectionId: string) =>
  db.selectFrom('sync_streams').selectAll().where('connection_id', '=', connectionId),
);

export async function getStream(db: DbExecutor, connectionId: string): Promise<Stream | undefined> {
  return (await selectStream(db, connectionId))[0];
}

/**
 * The stream of a connection, created on first use with its feed cursor at `head` (changes before it are
 * not followed); `null` leaves it for the feed to set to the tracker's head when it first follows.
 */
export async function ensureStream(
  db: DbExecutor,
  connectionId: string,
  head: string | null,
): Promise<Stream> {
  const found = await getStream(db, connectionId);
  if (found) return found;
  const row: Stream = {
    connection_id: connectionId,
    feed_cursor: head,
    out_seq: 0,
    out_acked: 0,
    in_high: 0,
    outcome_seq: 0,
    outcome_acked: 0,
    outcome_high: 0,
  };
  await db
    .insertInto('sync_streams')
    .values(row)
    .onConflict((oc) => oc.column('connection_id').doNothing())
    .execute();
  return (await getStream(db, connectionId)) ?? row;
}

/** Every connection's stream, by connection id (one query, so an engine step costs no query per idle connection). */
export async function streamsById(db: DbExecutor): Promise<Map<string, Stream>> {
  const rows = await db.selectFrom('sync_streams').selectAll().execute();
  return new Map(rows.map((r) => [r.connection_id, r]));
}

/** The streams of the given connections, by connection id (those that exist). */
export async function streamsOf(db: DbExecutor, connectionIds: string[]): Promise<Map<string, Stream>> {
  const rows = await inChunks(connectionIds, (chunk) =>
    db.selectFrom('sync_streams').selectAll().where('connection_id', 'in', chunk).execute(),
  );
  return new Map(rows.map((r) => [r.connection_id, r]));
}

/**
 * The streams with something to send: outbox events or outcomes the peer has not acknowledged (a step pumps
 * only those, so it reads a few rows however many connections are idle).
 */
export async function streamsToSend(db: DbExecutor): Promise<Map<string, Stream>> {
  const rows = await db
    .selectFrom('sync_streams')
    .selectAll()
    .where((eb) =>
      eb.or([eb('out_seq', '>', eb.ref('out_acked')), eb('outcome_seq', '>', eb.ref('outcome_acked'))]),
    )
    .execute();
  return new Map(rows.map((r) => [r.connection_id, r]));
}

type StreamSet = Partial<Omit<Stream, 'connection_id'>>;
/** One prepared update per set of columns written (each caller writes one or two). */
const updateOf = perShape((keys: (keyof StreamSet)[]) =>
  prepared((db, id: string, ...values: Array<number | string | null>) =>
    db
      .updateTable('sync_streams')
      .set(Object.fromEntries(keys.map((k, i) => [k, values[i]])))
      .where('connection_id', '=', id),
  ),
);

export async function updateStream(db: DbExecutor, connectionId: string, set: StreamSet): Promise<void> {
  const keys = columnsOf(set);
  await updateOf(keys)(db, connectionId, ...keys.map((k) => set[k] as number | string | null));
}

/** Records that the peer has every outcome up to `upTo` (never moving the mark back). */
export async function saveOutcomeAck(db: DbExecutor, connectionId: string, upTo: number): Promise<void> {
  await db
    .updateTable('sync_streams')
    .set({ outcome_acked: upTo })
    .where('connection_id', '=', connectionId)
    .where('outcome_acked', '<', upTo)
    .execute();
}
