// The sync side of a connection's counts: queued events each way, open errors, twins.
import type { DbExecutor } from '../../storage/schema.ts';

export interface SyncCounts {
  queuedOut: number;
  queuedIn: number;
  errors: number;
  twins: number;
}

export async function syncCounts(db: DbExecutor, connectionId: string): Promise<SyncCounts> {
  const count = async (
    table: 'sync_outbox' | 'sync_inbox' | 'sync_twins' | 'sync_errors',
    extra?: (q: ReturnType<typeof base>) => ReturnType<typeof base>,
  ) => {
    let q = base(table);
    if (extra) q = extra(q);
    const row = await q.executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  function base(table: 'sync_outbox' | 'sync_inbox' | 'sync_twins' | 'sync_errors') {
    return db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('connection_id', '=', connectionId);
  }
  return {
    queuedOut: await count('sync_outbox'),
    queuedIn: await count('sync_inbox'),
    errors: await count('sync_errors', (q) => q.where('status', '=', 'open')),
    twins: await count('sync_twins'),
  };
}
