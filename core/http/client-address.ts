// Where a request comes from: the TCP peer, or the client a trusted proxy names in X-Forwarded-For.
import type { Context } from 'hono';
import { forwardedClient } from '../net/forwarded.ts';
import { type IpAddress, parseIp } from '../net/ip-address.ts';

/** What @hono/node-server puts in `c.env`; absent under `app.request()`, which has no socket. */
interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * The caller's address. X-Forwarded-For is believed only from a trusted proxy, and then read from
 * the right: each trusted hop names the one before it, and the first untrusted one is the client
 * (whatever a client writes to the left of it is ignored). Undefined without a socket.
 * @example clientAddress(c, (ip) => ip.address === '127.0.0.1') // behind a proxy on this machine
 */
export function clientAddress(c: Context, trusted: (ip: IpAddress) => boolean): IpAddress | undefined {
  const remote = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress;
  return forwardedClient(remote, c.req.header('x-forwarded-for'), trusted);
}

/**
 * Whether the client reached us over HTTPS: the request's own scheme, or, from a trusted proxy that
 * ended TLS, its `X-Forwarded-Proto` (the first entry: the scheme the client used at the edge).
 */
export function requestIsHttps(c: Context, trusted: (ip: IpAddress) => boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  const remote = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress;
  const peer = remote === undefined ? undefined : parseIp(remote);
  if (!peer || !trusted(peer)) return false;
  const proto = (c.req.header('x-forwarded-proto') ?? '').split(',')[0]?.trim().toLowerCase();
  return proto === 'https';
}
