// Tells a database error that means "the server cannot be reached now" (a restart, a dropped or refused connection)
// from one about the query itself: the first is worth a retry shortly, the second is not. PostgreSQL only: SQLite
// is a file in the process and has no connection to lose.

/** SQLSTATEs of a lost or refused server: the whole class 08 (connection exception), and these. */
const UNAVAILABLE_STATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a server stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, in recovery
  '53300', // too_many_connections
]);

/**
 * Node's socket errors on the way to the server: pg throws them as they are, so only an error that is one itself
 * counts (a `fetch failed` whose cause is one is another service's, not the database's).
 */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** What the pg driver says when the socket under a query or a checkout went away. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /timeout exceeded when trying to connect/,
  /^Client was closed and is not queryable/,
];

/**
 * True for an error of the database driver that says the server is out of reach right now (the query may work
 * on a new connection in a moment); false for every other error.
 * @example if (isDatabaseUnreachable(err)) return answer503(); // core/http/problem.ts
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code.startsWith('08') && code.length === 5) return true;
      if (UNAVAILABLE_STATES.has(code) || (depth === 0 && SOCKET_CODES.has(code))) return true;
    }
    if (DRIVER_MESSAGES.some((m) => m.test(e.message))) return true;
  }
  // ECONNREFUSED to each address of a host name comes as one AggregateError.
  if (err instanceof AggregateError) return err.errors.some((inner) => isDatabaseUnreachable(inner));
  return false;
}
