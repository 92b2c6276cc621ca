// HTTP sockets that never finish a request are closed by the host after the idle bound, not kept for good.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, startHostProcess, stopAllHosts } from './support/host-process.ts';

const IDLE_MS = 600;

/** A raw TCP socket to the host; resolves `closed` with the time it took the server to close it. */
function rawSocket(port: number, send?: string) {
  const started = Date.now();
  const socket = net.connect(port, '127.0.0.1', () => {
    if (send) socket.write(send);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  return { socket, closed };
}

describe('idle HTTP sockets', () => {
  let host: HostProcess;
  beforeAll(async () => {
    host = await startHostProcess({ name: 'Idle', env: { TANDEM_HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS) } });
  });
  afterAll(() => stopAllHosts());

  it('closes a silent socket and one that stops half-way through its headers', async () => {
    const port = Number(new URL(host.url).port);
    const silent = Array.from({ length: 20 }, () => rawSocket(port));
    const halfway = Array.from({ length: 20 }, () => rawSocket(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'));
    const times = await Promise.all([...silent, ...halfway].map((s) => s.closed));
    // Closed by the server (the test never ends them), around the bound: not at once, not much later.
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(IDLE_MS - 50);
      expect(t).toBeLessThan(IDLE_MS + 5_000);
    }
    // A request that completes is served as usual.
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
  });
});
