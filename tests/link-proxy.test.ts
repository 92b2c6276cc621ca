// Link handshakes are limited per client: behind a trusted proxy, per address the proxy names.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustedProxies } from '../core/net/ip-address.ts';
import { type LinkListenerHost, refusingLinkListener } from './support/link-listener.ts';
import { rawUpgrade } from './support/raw-upgrade.ts';

const PER_SECOND = 1; // a burst of six handshakes per client
let listener: LinkListenerHost;

beforeAll(async () => {
  listener = await refusingLinkListener({
    handshakeTimeoutMs: 200,
    handshakesPerSecond: PER_SECOND,
    trustedProxies: parseTrustedProxies('127.0.0.1'),
  });
});
afterAll(() => listener.close());

/** Opens `n` upgrades at once as `client` (through the proxy); how many were refused as rate limited. */
async function refusedOf(client: string, n: number): Promise<number> {
  const { port } = listener.server.address() as AddressInfo;
  const sockets = await Promise.all(
    Array.from({ length: n }, () => rawUpgrade(port, '/link', { 'X-Forwarded-For': client })),
  );
  await Promise.all(sockets.map((s) => s.closed));
  return sockets.filter((s) => s.received().includes('rate_limited')).length;
}

describe('link handshakes behind a trusted proxy', () => {
  it("limit each forwarded client on its own, so one peer's flood does not refuse another", async () => {
    // A burst of six, then refusals (a second at most passes meanwhile, refilling one).
    const refused = await refusedOf('203.0.113.7', 10);
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(refused).toBeLessThanOrEqual(4);
    // Another partner behind the same proxy still gets through.
    expect(await refusedOf('198.51.100.9', 3)).toBe(0);
  });
});
