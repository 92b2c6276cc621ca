// Every query of the activity history: the rows before a minute, the upsert of a sample, pruning, range reads.
import { IN_LIST_CHUNK, INSERT_CHUNK, inChunks } from '../../storage/chunks.ts';
import type { Db } from '../../storage/schema.ts';
import type { ActivityRow } from './plan.ts';

/** Columns come back as numbers from SQLite and may come back as text from PostgreSQL: made numbers here. */
function asRow(r: ActivityRow): ActivityRow {
  return {
    ...r,
    link_up: r.link_up === null ? null : Number(r.link_up),
    out_seq: Number(r.out_seq),
    out_acked: Number(r.out_acked),
    in_high: Number(r.in_high),
    events_queued: Number(r.events_queued),
    events_out: Number(r.events_out),
    events_in: Number(r.events_in),
    queued_out: Number(r.queued_out),
    queued_in: Number(r.queued_in),
    open_errors: Number(r.open_errors),
  };
}

/** Each connection's latest row before `minute` (one indexed look per connection, driven from connections). */
export async function latestBefore(db: Db, minute: string): Promise<Map<string, ActivityRow>> {
  const rows = await db
    .selectFrom('connections as c')
    .innerJoin('activity_minutes as a', (j) =>
      j.onRef('a.connection_id', '=', 'c.id').on('a.minute', '=', (eb) =>
        eb
          .selectFrom('activity_minutes as b')
          .select((b) => b.fn.max('b.minute').as('m'))
          .whereRef('b.connection_id', '=', 'c.id')
          .where('b.minute', '<', minute),
      ),
    )
    .selectAll('a')
    .execute();
  return new Map(rows.map((r) => [r.connection_id, asRow(r)]));
}

/** The rows `minute` already has, by connection. */
export async function writtenAt(db: Db, minute: string): Promise<Map<string, ActivityRow>> {
  const rows = await db.selectFrom('activity_minutes').selectAll().where('minute', '=', minute).execute();
  return new Map(rows.map((r) => [r.connection_id, asRow(r)]));
}

/** When the sampler last ran, or null if it never did. */
export async function lastSweep(db: Db): Promise<string | null> {
  const row = await db
    .selectFrom('activity_sweeps')
    .select('sampled_at')
    .orderBy('minute', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.sampled_at ?? null;
}

/**
 * Writes one sample in one transaction: its rows and the sweep of its minute. Idempotent per (connection,
 * minute): a later sample of the same minute (another process on the same database, a restart) replaces
 * the row, except that a link seen up by any sample of the minute stays up (only the process holding a
 * connection's link sees it up).
 */
export async function writeSample(
  db: Db,
  minute: string,
  sampledAt: string,
  rows: ActivityRow[],
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await inChunks(
      rows,
      async (chunk) => {
        await tx
          .insertInto('activity_minutes')
          .values(chunk)
          .onConflict((oc) =>
            oc.columns(['connection_id', 'minute']).doUpdateSet((eb) => ({
              sampled_at: eb.ref('excluded.sampled_at'),
              state: eb.ref('excluded.state'),
              link_up: eb
                .case()
                .when(eb.or([eb('excluded.link_up', '=', 1), eb('activity_minutes.link_up', '=', 1)]))
                .then(1)
                .else(eb.ref('excluded.link_up'))
                .end(),
              out_seq: eb.ref('excluded.out_seq'),
              out_acked: eb.ref('excluded.out_acked'),
              in_high: eb.ref('excluded.in_high'),
              events_queued: eb.ref('excluded.events_queued'),
              events_out: eb.ref('excluded.events_out'),
              events_in: eb.ref('excluded.events_in'),
              queued_out: eb.ref('excluded.queued_out'),
              queued_in: eb.ref('excluded.queued_in'),
              oldest_out_at: eb.ref('excluded.oldest_out_at'),
              oldest_in_at: eb.ref('excluded.oldest_in_at'),
              open_errors: eb.ref('excluded.open_errors'),
            })),
          )
          .execute();
        return [];
      },
      INSERT_CHUNK,
    );
    await tx
      .insertInto('activity_sweeps')
      .values({ minute, sampled_at: sampledAt })
      .onConflict((oc) =>
        oc.column('minute').doUpdateSet((eb) => ({ sampled_at: eb.ref('excluded.sampled_at') })),
      )
      .execute();
  });
}

/** Drops what is older than `before` and the rows of connections that no longer exist. */
export async function prune(db: Db, before: string): Promise<{ rows: number; sweeps: number }> {
  return db.transaction().execute(async (tx) => {
    const old = await tx.deleteFrom('activity_minutes').where('minute', '<', before).executeTakeFirst();
    const orphans = await tx
      .deleteFrom('activity_minutes')
      .where('connection_id', 'not in', (eb) => eb.selectFrom('connections').select('id'))
      .executeTakeFirst();
    const sweeps = await tx.deleteFrom('activity_sweeps').where('minute', '<', before).executeTakeFirst();
    return {
      rows: Number(old.numDeletedRows) + Number(orphans.numDeletedRows),
      sweeps: Number(sweeps.numDeletedRows),
    };
  });
}

/** The rows of `ids` with from <= minute < to, by connection then minute. */
export async function rowsBetween(
  db: Db,
  ids: readonly string[],
  from: string,
  to: string,
): Promise<ActivityRow[]> {
  const rows = await inChunks(
    ids,
    (chunk) =>
      db
        .selectFrom('activity_minutes')
        .selectAll()
        .where('connection_id', 'in', chunk)
        .where('minute', '>=', from)
        .where('minute', '<', to)
        .orderBy('connection_id')
        .orderBy('minute')
        .execute(),
    IN_LIST_CHUNK,
  );
  return rows.map(asRow);
}

/** The minutes the sampler ran with from <= minute < to. */
export async function sweepsBetween(db: Db, from: string, to: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('activity_sweeps')
    .select('minute')
    .where('minute', '>=', from)
    .where('minute', '<', to)
    .execute();
  return new Set(rows.map((r) => r.minute));
}
