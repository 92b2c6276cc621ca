// Opens the host database on PostgreSQL: a pg pool behind kysely, numbers parsed as numbers,
// migrations run once under an advisory lock however many processes start at the same moment.
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { TandemError } from '../core/errors.ts';
import type { StorageLog } from './checkpointer.ts';
import { isDatabaseUnreachable } from './connection-lost.ts';
import { redactUrl } from './database-url.ts';
import { migrate } from './migrate.ts';
import { guardedKysely } from './nested-connection.ts';
import type { Database, Db } from './schema.ts';

/** Any number: 'tandem' in ASCII; every process of every version takes the same lock. */
const MIGRATION_LOCK = 0x74616e64656d;

const INT8 = 20;
const NUMERIC = 1700;
const JSON_OID = 114;
const JSONB = 3802;

/**
 * Type parsers for this pool only (not pg's global ones, which other code in the process may rely
 * on): `count(*)`, `sum()` and bigint columns come back as numbers as they do from SQLite (our
 * values stay far below 2^53); JSON comes back as the text it was stored as, as from SQLite.
 */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8, (v: string) => Number(v));
  types.setTypeParser(NUMERIC, (v: string) => Number(v));
  types.setTypeParser(JSON_OID, (v: string) => v);
  types.setTypeParser(JSONB, (v: string) => v);
  return types;
}

export interface PostgresOptions {
  log?: StorageLog | undefined;
  /** Connections in the pool (default 1, see openPostgres). */
  poolSize?: number | undefined;
}

export interface OpenedPostgres {
  db: Db;
  pool: pg.Pool;
}

/**
 * Runs the migrations while holding a session advisory lock on a connection of its own (outside the
 * pool, which may have a single connection the migrations need).
 */
async function migrateLocked(url: string, db: Db): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'tandem-migrate' });
  // An error after connect (the server going away) must not be an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      // The second process in waits here, then finds every migration done and runs none.
      await migrate(db);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}

/**
 * The pool as kysely sees it, where a client whose query failed because its connection was lost goes back with
 * that error, so the pool drops it. Without this, pg learns of the loss only when the socket's end arrives, a
 * moment after the query failed: a request in that moment would be lent the dead connection and fail too.
 */
function droppingLostClients(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let lost: Error | undefined;
      const query = (text: string, parameters: ReadonlyArray<unknown>) =>
        client.query(text, [...parameters]).catch((err: unknown) => {
          if (isDatabaseUnreachable(err)) lost = err as Error;
          throw err;
        });
      return {
        // Only the (sql, parameters) form: the dialect has no cursor, so kysely never passes one.
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(lost ?? destroy),
      };
    },
    end: () => pool.end(),
  };
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<OpenedPostgres> {
  const poolSize = options.poolSize ?? 1;
  const pool = new pg.Pool({
    connectionString: url,
    // One connection by default: the same as SQLite, where kysely runs every query and transaction of a
    // process one after another on its one connection. The host's read-then-write transactions rely on
    // that (none takes row locks), so a second connection would let them interleave under READ COMMITTED.
    max: poolSize,
    types: typeParsers(),
    application_name: 'tandem',
  });
  // A connection the server drops (a restart, pg_terminate_backend) emits 'error' on its client, idle in the pool
  // or checked out; unhandled, that would end the process. The client's own listener sees both cases, so the loss
  // is logged there once; the pool's (idle case) only keeps the event handled. The pool replaces the connection on
  // next use; a query under way fails and its client is dropped when released (droppingLostClients).
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      options.log?.warn(
        { err: { message: err.message } },
        'a PostgreSQL connection was lost; it will be replaced',
      );
    });
  });
  const dialect = new PostgresDialect({ pool: droppingLostClients(pool) });
  // With one connection a query on the root handle from inside a transaction would wait forever: it fails at once
  // (nested_connection). With more, it waits for a free one (tests that need a second connection ask for it).
  const db = poolSize === 1 ? guardedKysely(dialect) : new Kysely<Database>({ dialect });
  try {
    await migrateLocked(url, db);
  } catch (err) {
    await db.destroy();
    if (err instanceof TandemError) throw err;
    throw new TandemError(
      'DATABASE_UNAVAILABLE',
      500,
      `Cannot open the PostgreSQL database ${redactUrl(url)}: ${(err as Error).message}`,
    );
  }
  return { db, pool };
}
