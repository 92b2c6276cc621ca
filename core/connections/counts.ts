// How much a connection has in flight: the one place the connection JSON reads its counts from.
import type { Db } from '../../storage/schema.ts';

export interface ConnectionCounts {
  queuedOut: number;
  queuedIn: number;
  errors: number;
  twins: number;
}

/**
 * Counts for one connection. Zeros until the sync engine's tables exist; the integrator wires it to them.
 * @example const { queuedOut } = await connectionCounts(db, connection.id);
 */
export async function connectionCounts(_db: Db, _connectionId: string): Promise<ConnectionCounts> {
  return { queuedOut: 0, queuedIn: 0, errors: 0, twins: 0 };
}
