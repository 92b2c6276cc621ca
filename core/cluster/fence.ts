// Fencing: every outbox, inbox and twin write for a connection first checks, in its own transaction, that this
// process still holds the connection's lease with the token it was given; a process that lost it cannot write.
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
