// A local webhook receiver for notification tests: a real HTTP server on port 0 that records every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: unknown;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** The statuses to answer next, in order (then 200); a 3xx answers with a Location elsewhere. */
  answer(...statuses: number[]): void;
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const queued: number[] = [];
  const waiters: Array<{ n: number; resolve: (r: ReceivedHook[]) => void }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString('utf8');
    });
    req.on('end', () => {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      received.push({ path: req.url ?? '/', headers: req.headers, body, json });
      const status = queued.shift() ?? 200;
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/elsewhere' } : {});
      res.end(status < 300 ? 'ok' : 'no');
      for (const w of waiters.splice(0)) {
        if (received.length >= w.n) w.resolve(received);
        else waiters.push(w);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...statuses) => void queued.push(...statuses),
    waitFor: (n) =>
      received.length >= n
        ? Promise.resolve(received)
        : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
