// Row locks for a read that decides a write, where the engine needs them: PostgreSQL runs transactions of several
// processes side by side under READ COMMITTED; SQLite has one writer at a time and no `for update` clause.
import { PostgresAdapter } from 'kysely';
import type { DbExecutor } from './schema.ts';

/**
 * The select `q` run on `db`, locking the rows it reads until the transaction ends on PostgreSQL (`for update`:
 * a second transaction reading them waits, then sees what the first one committed); as it is on SQLite.
 * Order the select so that transactions lock rows in one order (no deadlock).
 * @example const rows = await forUpdate(tx, tx.selectFrom('users').select('id').where('role', '=', 'admin').orderBy('id')).execute();
 */
export function forUpdate<Q extends { forUpdate(): Q }>(db: DbExecutor, q: Q): Q {
  return db.getExecutor().adapter instanceof PostgresAdapter ? q.forUpdate() : q;
}
