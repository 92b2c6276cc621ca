// Who a connection comes from: the TCP peer, or the client a trusted proxy names in X-Forwarded-For.
import { type IpAddress, parseIp } from './ip-address.ts';

/**
 * The client's address. X-Forwarded-For is believed only from a trusted proxy, and then read from
 * the right: each trusted hop names the one before it, and the first untrusted one is the client
 * (whatever a client writes to the left of it is ignored). Undefined without a peer address.
 * @example forwardedClient(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted)
 */
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

/** One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`. */
function parseHop(hop: string): IpAddress | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return parseIp(bracketed[1]!);
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return parseIp(v4WithPort ? v4WithPort[1]! : hop);
}
