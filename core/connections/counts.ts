// How much a connection has in flight: the one place the connection JSON reads its counts from.
import type { Db } from '../../storage/schema.ts';
import { syncCounts } from '../sync/counts.ts';

export interface ConnectionCounts {
  queuedOut: number;
  queuedIn: number;
  errors: number;
  twins: number;
}

/**
 * Counts for one connection, from the sync engine's tables (core/sync/counts.ts).
 * @example const { queuedOut } = await connectionCounts(db, connection.id);
 */
export async function connectionCounts(db: Db, connectionId: string): Promise<ConnectionCounts> {
  return syncCounts(db, connectionId);
}
