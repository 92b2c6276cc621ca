// Where a request comes from: the TCP peer, or the client a trusted proxy names in X-Forwarded-For.
import type { Context } from 'hono';
import { type IpAddress, parseIp } from './ip-address.ts';

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

/** The same rule from a socket's peer address and its request's X-Forwarded-For (a link upgrade, say). */
export function forwardedClient(
  remote: string | undefined,
  forwardedFor: string | undefined,
  trusted: (ip: IpAddress) => boolean,
): IpAddress | undefined {
  const peer = remote === undefined ? undefined : parseIp(remote);
  if (!peer || !trusted(peer)) return peer;
  const hops = (forwardedFor ?? '').split(',').reverse();
  let client = peer;
  for (const hop of hops) {
    const ip = parseHop(hop.trim());
    // A hop the proxy did not write properly: the proxy itself is the last address we can vouch for.
    if (!ip) return client;
    client = ip;
    if (!trusted(ip)) return ip;
  }
  return client;
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

/** One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`. */
function parseHop(hop: string): IpAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return parseIp(bracketed[1]!);
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return parseIp(v4WithPort ? v4WithPort[1]! : hop);
}
