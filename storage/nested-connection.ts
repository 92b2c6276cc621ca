// A process runs its database on one connection (kysely's SQLite driver: one connection behind a mutex; PostgreSQL:
// a pool of one). Code that, while it holds that connection (inside a transaction's callback), runs a query on the
// root `db` instead of `tx` waits for the connection its own transaction holds: the whole host freezes. This guard
// makes such a query fail with `nested_connection`, naming it, instead. Work a transaction's callback started and did
// not await (an event listener, a wake-up) asks from the same async context but is no deadlock: it waits for the
// callback to end as before; so a query from a holding context waits a bounded time for the hold to end first.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
  DefaultQueryExecutor,
  type Dialect,
  type Driver,
  Kysely,
  type TransactionSettings,
} from 'kysely';
import { TandemError } from '../core/errors.ts';
import type { Database, Db } from './schema.ts';

/** A query asked for the database's one connection while its own async context holds it (root `db` used, not `tx`). */
export class NestedConnectionError extends TandemError {
  constructor(query: string) {
    super(
      'NESTED_CONNECTION',
      500,
      `A query on the root database handle ran inside a transaction on the same database and would wait forever for the connection the transaction holds; run it on the transaction instead: ${query}`,
      { query },
    );
    this.name = 'NestedConnectionError';
  }
}

const refusing: DatabaseConnection = {
  executeQuery(query: CompiledQuery): never {
    throw new NestedConnectionError(query.sql);
  },
  streamQuery(query: CompiledQuery): never {
    throw new NestedConnectionError(query.sql);
  },
};

/** One connection held by the async context that runs under it; `open` turns false once it is given back. */
interface Hold {
  readonly provider: GuardedConnectionProvider;
  open: boolean;
  /** Settles when the connection is given back. */
  readonly ended: Promise<void>;
  readonly outer: Hold | undefined;
}

const holds = new AsyncLocalStorage<Hold>();

/** The open hold of `provider` in this async context, if any. */
function holding(provider: GuardedConnectionProvider): Hold | undefined {
  // Work started in a callback (a timer, an event listener) inherits its context and so its hold; a hold that has
  // ended no longer counts.
  for (let hold = holds.getStore(); hold !== undefined; hold = hold.outer) {
    if (hold.provider === provider && hold.open) return hold;
  }
  return undefined;
}

/** How long a query from a holding context waits for the hold to end before it is taken for a nested one. */
export const NESTED_WAIT_MS = 5000;

/**
 * Kysely's connection provider (acquire, run, release), which also marks the async context of the consumer (a
 * transaction's callback, a single query) as holding the connection, and refuses to acquire from such a context.
 */
class GuardedConnectionProvider implements ConnectionProvider {
  readonly #driver: Driver;
  readonly #waitMs: number;

  constructor(driver: Driver, waitMs: number) {
    this.#driver = driver;
    this.#waitMs = waitMs;
  }

  async provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const held = holding(this);
    // A hold that does not end in time is waiting for this very query: the consumer gets a connection that
    // refuses its first statement (the query, or a transaction's `begin`), so the error names it.
    if (held && !(await endsWithin(held, this.#waitMs))) return consumer(refusing);
    const connection = await this.#driver.acquireConnection();
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const hold: Hold = { provider: this, open: true, ended, outer: holds.getStore() };
    try {
      return await holds.run(hold, () => consumer(connection));
    } finally {
      hold.open = false;
      end();
      await this.#driver.releaseConnection(connection);
    }
  }
}

async function endsWithin(hold: Hold, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([hold.ended.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The driver as kysely's own runtime wrapper has it: initialised once before the first connection, destroyed once.
 * Needed because a Kysely built from its parts (to put our provider in) does not add that wrapper.
 */
class OnceDriver implements Driver {
  readonly #driver: Driver;
  #init: Promise<void> | undefined;
  #destroy: Promise<void> | undefined;

  constructor(driver: Driver) {
    this.#driver = driver;
  }

  init(): Promise<void> {
    if (this.#destroy !== undefined) return Promise.reject(new Error('driver has already been destroyed'));
    this.#init ??= this.#driver.init().catch((err: unknown) => {
      this.#init = undefined;
      throw err;
    });
    return this.#init;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.init();
    return this.#driver.acquireConnection();
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#driver.releaseConnection(connection);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#driver.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#driver.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#driver.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    this.#destroy ??= (async () => {
      if (this.#init !== undefined) {
        await this.#init.catch(() => {});
        await this.#driver.destroy();
      }
    })();
    return this.#destroy;
  }
}

/**
 * A Kysely on `dialect` whose root handle refuses a query from inside a transaction (or connection) of its own:
 * `nested_connection` instead of a frozen host. For databases with one connection; with more, such a query would
 * wait for a free one, not forever.
 */
export function guardedKysely(dialect: Dialect, waitMs = NESTED_WAIT_MS): Db {
  const driver = new OnceDriver(dialect.createDriver());
  const executor = new DefaultQueryExecutor(
    dialect.createQueryCompiler(),
    dialect.createAdapter(),
    new GuardedConnectionProvider(driver, waitMs),
    [],
  );
  return new Kysely<Database>({ config: { dialect }, dialect, driver, executor });
}
