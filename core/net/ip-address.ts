// IP addresses for rate limiting: one normal form, /64 keys for IPv6, and strict TANDEM_TRUSTED_PROXIES parsing.
import net, { BlockList } from 'node:net';
import { TandemError } from '../errors.ts';

export interface IpAddress {
  family: 'ipv4' | 'ipv6';
  /** Dotted IPv4, or eight lower-case hex groups; an IPv4-mapped IPv6 address is its IPv4 address. */
  address: string;
}

/** Parses one address (a zone id is dropped); undefined when it is not an IP address. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.replace(/%[\w.~-]+$/, '');
  const kind = net.isIP(bare);
  if (kind === 4) return { family: 'ipv4', address: bare };
  if (kind !== 6) return undefined;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return { family: 'ipv4', address: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.') };
  }
  return { family: 'ipv6', address: groups.map((g) => g.toString(16)).join(':') };
}

/**
 * The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one subscriber's network,
 * which hands out addresses freely).
 * @example addressKey(parseIp('2001:db8::1')!) // '2001:db8:0:0::/64'
 */
export function addressKey(ip: IpAddress): string {
  return ip.family === 'ipv4' ? ip.address : `${ip.address.split(':').slice(0, 4).join(':')}::/64`;
}

/**
 * Parses TANDEM_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges, IPv4 or IPv6.
 * A bad entry is refused (naming the variable and the entry), never skipped.
 * @example parseTrustedProxies('127.0.0.1, 10.0.0.0/8, ::1') // ['127.0.0.1/32', '10.0.0.0/8', '0:0:0:0:0:0:0:1/128']
 */
export function parseTrustedProxies(
  value: string | undefined,
  variable = 'TANDEM_TRUSTED_PROXIES',
): string[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const bad = (why: string) =>
      new TandemError('INVALID_TRUSTED_PROXIES', 400, `${variable} has a bad entry "${entry}": ${why}`);
    const [addr = '', prefixText, extra] = entry.split('/');
    if (entry === '') throw bad('an empty entry (remove the extra comma)');
    if (extra !== undefined || addr.includes('%')) throw bad('expected an IP address or a CIDR range');
    const ip = parseIp(addr);
    if (!ip) throw bad('not an IP address (host names are not allowed)');
    const max = ip.family === 'ipv4' ? 32 : 128;
    // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
    const mapped = ip.family === 'ipv4' && net.isIPv6(addr);
    let prefix = max;
    if (prefixText !== undefined) {
      if (!/^\d{1,3}$/.test(prefixText)) throw bad('the prefix length must be a number');
      prefix = Number(prefixText) - (mapped ? 96 : 0);
      if (prefix < 0 || prefix > max) throw bad(`the prefix length must be 0-${mapped ? 128 : max}`);
    }
    return `${ip.address}/${prefix}`;
  });
}

/** True for an address inside one of the ranges `parseTrustedProxies` returned. */
export function createIpMatcher(ranges: readonly string[]): (ip: IpAddress) => boolean {
  if (ranges.length === 0) return () => false;
  const list = new BlockList();
  for (const range of ranges) {
    const [addr, prefix] = range.split('/') as [string, string];
    list.addSubnet(addr, Number(prefix), net.isIPv4(addr) ? 'ipv4' : 'ipv6');
  }
  return (ip) => list.check(ip.address, ip.family);
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail becomes the last two). */
function ipv6Groups(text: string): number[] {
  let s = text.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const part = (p: string | undefined) => (p ? p.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  return tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}
