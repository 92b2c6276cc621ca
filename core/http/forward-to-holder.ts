// Several processes on one database: an admin change that needs a connection's live engine or link (sync entities,
// activate, retry an error, start a bulk run, ...) runs in the process holding the connection's lease; the process
// the request reached forwards it there. Every change through the API wakes the other processes afterwards.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Db } from '../../storage/schema.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { CSRF_HEADER, csrfTokenOf, SESSION_COOKIE } from './admin-auth.ts';
import type { AppEnv } from './app-env.ts';

/** Set on a forwarded request: the holder serves it whatever it believes, so a request is forwarded once. */
export const FORWARDED_HEADER = 'x-tandem-forwarded';

const BY_CONNECTION = /^\/api\/connections\/([^/]+)(?:\/|$)/;
const BY_ROW: Array<[RegExp, 'sync_triggers' | 'sync_errors' | 'sync_runs']> = [
  [/^\/api\/triggers\/([^/]+)(?:\/|$)/, 'sync_triggers'],
  [/^\/api\/errors\/([^/]+)\/(?:retry|resolve)$/, 'sync_errors'],
  [/^\/api\/runs\/([^/]+)\/cancel$/, 'sync_runs'],
];

/** The connection a request acts on, when its path names one (directly or through its trigger, error or run). */
async function connectionOf(db: Db, path: string): Promise<string | undefined> {
  const direct = BY_CONNECTION.exec(path);
  if (direct) return decodeURIComponent(direct[1]!);
  for (const [pattern, table] of BY_ROW) {
    const m = pattern.exec(path);
    if (!m) continue;
    const row = await db
      .selectFrom(table)
      .select('connection_id')
      .where('id', '=', decodeURIComponent(m[1]!))
      .executeTakeFirst();
    return row?.connection_id ?? undefined;
  }
  return undefined;
}

/**
 * The process holding a connection did not answer (it died: another takes the connection over within about 6 s).
 * @example throw processUnreachable(connectionId, 'cannot be reached');
 */
export const processUnreachable = (connectionId: string, why: string): TandemError =>
  new TandemError(
    'PROCESS_UNREACHABLE',
    503,
    `The process running connection ${connectionId} ${why}; send the request again in a few seconds`,
    { connectionId },
  );

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** The headers a request to another process of the node carries: the caller's (its credentials), marked forwarded. */
export function siblingHeaders(c: Context<AppEnv>): Headers {
  const headers = new Headers();
  c.req.raw.headers.forEach((v, k) => {
    if (!HOP_BY_HOP.has(k)) headers.set(k, v);
  });
  headers.set(FORWARDED_HEADER, '1');
  // The guard here passed a console write on its same-origin Origin; the sibling sees its own address, not the
  // one the browser used, so the session's CSRF token carries that proof instead.
  const session = getCookie(c, SESSION_COOKIE);
  if (session) headers.set(CSRF_HEADER, csrfTokenOf(session));
  return headers;
}

export function forwardToHolder(p: { db: Db; cluster: Cluster; log: Logger }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const { leases } = p.cluster;
    if (leases.shared && !c.req.header(FORWARDED_HEADER)) {
      const id = await connectionOf(p.db, c.req.path);
      if (id !== undefined && !leases.holds(id)) {
        const place = await leases.place(id);
        if (!place.here && place.processId !== null) {
          const target = new URL(c.req.url);
          const to = `${place.url.replace(/\/+$/, '')}${target.pathname}${target.search}`;
          const headers = siblingHeaders(c);
          const body = await c.req.raw.arrayBuffer();
          p.log.debug({ connectionId: id, to: place.url, path: target.pathname }, 'admin request forwarded');
          const res = await fetch(to, { method, headers, ...(body.byteLength ? { body } : {}) }).catch(
            (err: unknown) => {
              p.log.warn(
                { err, connectionId: id, to: place.url },
                'the holder of a connection is unreachable',
              );
              throw processUnreachable(id, 'cannot be reached');
            },
          );
          const out = new Headers(res.headers);
          out.delete('content-encoding');
          out.delete('content-length');
          out.delete('transfer-encoding');
          out.set(FORWARDED_HEADER, place.url);
          return new Response(res.body, { status: res.status, headers: out });
        }
      }
    }
    await next();
    if (c.res.status < 400) p.cluster.notify('changed');
  };
}
