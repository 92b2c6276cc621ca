// Fencing: every write a connection's engine or link makes (outbox, inbox, twins, journal, cursors, runs, errors,
// attachment transfers) first checks, in its own transaction, that this process still holds the connection's
// lease with the token it was given; a process that lost it cannot write.
import { sql } from 'kysely';
import type { DbExecutor } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';

/** A write for a connection this process no longer holds (taken over while paused or cut off). */
export class LeaseLost extends TandemError {
  constructor(readonly connectionId: string) {
    super('LEASE_LOST', 409, `This process no longer holds connection ${connectionId}`, { connectionId });
    this.name = 'LeaseLost';
  }
}

/** The lease a process believes it holds: its token, or undefined when it holds none. */
export interface WriteFence {
  processId: string;
  token(connectionId: string): bigint | undefined;
  /** Told when a write found its lease gone, so the process stops that connection at once. */
  lost(connectionId: string): void;
}

// Keyed by the kysely adapter, which a database and every transaction opened on it share, so the write helpers
// deep in core/sync find the fence from the executor they are given without one more parameter on each.
const fences = new WeakMap<object, WriteFence>();
// Connections already checked in a transaction: the row lock taken by the first check holds to its end.
const checked = new WeakMap<object, Set<string>>();

/** Installs the fence for every write on `db` (PostgreSQL with several processes); returns its removal. */
export function installFence(db: DbExecutor, fence: WriteFence): () => void {
  const key = db.getExecutor().adapter;
  fences.set(key, fence);
  return () => fences.delete(key);
}

/**
 * Checks the lease of `connectionId` inside `tx` (a transaction) and keeps it locked (`for share`) until the
 * transaction ends, so a takeover's update waits for this write and the write sees a takeover committed before
 * it. Without a fence (SQLite: one process) it costs nothing.
 * @example await db.transaction().execute(async (tx) => { await fenceWrite(tx, id); ... });
 */
export async function fenceWrite(tx: DbExecutor, connectionId: string): Promise<void> {
  const fence = fences.get(tx.getExecutor().adapter);
  if (!fence) return;
  const seen = checked.get(tx);
  if (seen?.has(connectionId)) return;
  const token = fence.token(connectionId);
  const ok =
    token !== undefined &&
    (
      await sql<{ one: number }>`select 1 as one from connection_leases
        where connection_id = ${connectionId} and process_id = ${fence.processId} and token = ${token.toString()}
          and expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint
        for share`.execute(tx)
    ).rows.length > 0;
  if (!ok) {
    fence.lost(connectionId);
    throw new LeaseLost(connectionId);
  }
  if (!tx.isTransaction) return; // outside a transaction the check held only for itself
  if (seen) seen.add(connectionId);
  else checked.set(tx, new Set([connectionId]));
}

/**
 * Whether this process believes it holds `connectionId` (always, without a fence): a cheap filter before work
 * whose writes `fenceWrite` checks anyway, so work for a connection held elsewhere is not even started.
 */
export function holdsHere(db: DbExecutor, connectionId: string): boolean {
  const fence = fences.get(db.getExecutor().adapter);
  return !fence || fence.token(connectionId) !== undefined;
}

/**
 * Runs `write` for `connectionId` behind the fence: inside `db` when it is a transaction already, else in a new
 * transaction that checks the lease first, so a refused write leaves nothing behind. Without a fence (SQLite)
 * it runs `write(db)` as it is: no transaction, no query more than before.
 * @example await fenced(db, conn.id, (tx) => markQueued(tx, runId));
 */
export async function fenced<T>(
  db: DbExecutor,
  connectionId: string,
  write: (tx: DbExecutor) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) {
    await fenceWrite(db, connectionId);
    return write(db);
  }
  if (!fences.has(db.getExecutor().adapter)) return write(db);
  return db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    return write(tx);
  });
}

/**
 * Checks the leases of several connections at once inside `tx` (one query) and keeps those held locked to the
 * end of the transaction, like `fenceWrite`; returns the ones still held here. Those lost are let go of (as a
 * refused write does) without throwing, so a write for many connections goes on for the rest.
 */
export async function fenceMany(tx: DbExecutor, connectionIds: string[]): Promise<string[]> {
  const fence = fences.get(tx.getExecutor().adapter);
  if (!fence || connectionIds.length === 0) return connectionIds;
  const mine = connectionIds.filter((id) => fence.token(id) !== undefined);
  const rows =
    mine.length === 0
      ? []
      : (
          await sql<{
            connection_id: string;
            token: string;
          }>`select connection_id, token from connection_leases
            where connection_id in (${sql.join(mine)}) and process_id = ${fence.processId}
              and expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint
            for share`.execute(tx)
        ).rows;
  const found = new Map(rows.map((r) => [r.connection_id, BigInt(r.token)]));
  const held = connectionIds.filter((id) => {
    const token = fence.token(id);
    return token !== undefined && found.get(id) === token;
  });
  const keep = new Set(held);
  for (const id of connectionIds) if (!keep.has(id)) fence.lost(id);
  if (tx.isTransaction && held.length > 0) {
    const seen = checked.get(tx) ?? new Set<string>();
    for (const id of held) seen.add(id);
    checked.set(tx, seen);
  }
  return held;
}
