// Upgrade requests that will not become links, and link sockets that never authenticate: answered or dropped in time.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identityFromPrivateJwk } from '../core/identity/node-identity.ts';
import { createLinkNetwork, type LinkNetwork } from '../core/link/link-network.ts';
import { CLOSE_TIMEOUT_MS } from '../core/link/ws-transport.ts';
import { createLogger } from '../core/log.ts';
import { type HostProcess, startHostProcess, stopAllHosts } from './support/host-process.ts';
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
  const log = createLogger('hardening-test', 'silent');
  let server: Server;
  let network: LinkNetwork;
  const HANDSHAKE_MS = 500;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const identity = await identityFromPrivateJwk(await exportJWK(pair.privateKey));
    network = createLinkNetwork({
      identity,
      local: () => ({ url: null, name: 'Listener' }),
      directory: {
        authorizeInbound: async () => ({ ok: false, code: 'unknown_link', message: 'no' }),
        confirmOutbound: async () => false,
        dialFailed: async () => 'redial' as const,
      },
      log,
      linkPath: '/link',
      handshakeTimeoutMs: HANDSHAKE_MS,
      handshakesPerSecond: 1000, // every socket here takes the time-out path, none the rate limit
    });
    // The host's own kind of server (core/host.ts): hono's node adapter, port 0.
    server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: () => new Response('ok'), port: 0, hostname: '127.0.0.1' }, () =>
        resolve(s as Server),
      );
    });
    network.attach(server);
  });
  afterAll(async () => {
    await network.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
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
