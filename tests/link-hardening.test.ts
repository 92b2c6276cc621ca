// Upgrade requests that will not become links, and link sockets that never authenticate: answered or dropped in time.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_TIMEOUT_MS } from '../core/link/ws-transport.ts';
import { type HostProcess, startHostProcess, stopAllHosts } from './support/host-process.ts';
import { type LinkListenerHost, refusingLinkListener } from './support/link-listener.ts';
import { openConnections, rawUpgrade } from './support/raw-upgrade.ts';

const portOf = (url: string) => Number(new URL(url).port);

describe('a running host', () => {
  let host: HostProcess;
  beforeAll(async () => {
    host = await startHostProcess({ name: 'Hardened' });
  });
  afterAll(() => stopAllHosts());

  it('answers an upgrade on any path but the link with 404 and closes the socket', async () => {
    for (const target of ['/api/connections', '/', '/linkx', '/.well-known/tandem']) {
      const s = await rawUpgrade(portOf(host.url), target);
      await s.closed;
      expect(s.received()).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(s.received()).toContain('Connection: close\r\n');
    }
  });

  it('answers an upgrade whose target is no URL with 400 and keeps running (it used to end the process)', async () => {
    for (const target of ['//', 'http://[', 'http://x:abc/']) {
      const s = await rawUpgrade(portOf(host.url), target);
      await s.closed;
      expect(s.received()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    }
    expect(host.child.exitCode).toBeNull();
    expect((await fetch(`${host.url}/.well-known/tandem`)).status).toBe(200);
  });
});

describe('sockets that never authenticate', () => {
  let server: Server;
  let listener: LinkListenerHost;
  const HANDSHAKE_MS = 500;

  beforeAll(async () => {
    // Every socket here takes the time-out path, none the rate limit.
    listener = await refusingLinkListener({ handshakeTimeoutMs: HANDSHAKE_MS, handshakesPerSecond: 1000 });
    server = listener.server;
  });
  afterAll(() => listener.close());
  afterEach(async () => {
    expect(await openConnections(server)).toBe(0);
  });

  it('are all closed by the server within the handshake time-out, on the link path and off it', async () => {
    const { port } = server.address() as AddressInfo;
    const started = Date.now();
    const off = await Promise.all(Array.from({ length: 50 }, (_, i) => rawUpgrade(port, `/other/${i}`)));
    const on = await Promise.all(Array.from({ length: 50 }, () => rawUpgrade(port, '/link')));
    expect(await openConnections(server)).toBeGreaterThan(0);
    await Promise.all([...off, ...on].map((s) => s.closed));
    // Each link socket is refused at the time-out; ws would wait 30 s for a close frame that never comes.
    expect(Date.now() - started).toBeLessThan(HANDSHAKE_MS + CLOSE_TIMEOUT_MS + 2000);
    for (const s of off) expect(s.received()).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    for (const s of on) {
      expect(s.received()).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(s.received()).toContain('handshake_timeout');
    }
  });

  it('survive a client resetting an upgrade the host answers (its socket has an error listener)', async () => {
    const { port } = server.address() as AddressInfo;
    // Runs after the link listener, in the same emit: the request has been handled when it resets.
    const reset = new Promise<void>((resolve) => server.once('upgrade', () => resolve()));
    const s = await rawUpgrade(port, '/elsewhere');
    await reset;
    s.socket.resetAndDestroy();
    await s.closed;
    const other = await rawUpgrade(port, '/elsewhere');
    await other.closed;
    expect(other.received()).toMatch(/^HTTP\/1\.1 404/);
  });
});
