// A raw TCP client for WebSocket upgrades: sends the request, reads what comes, answers nothing.
import { connect, type Socket } from 'node:net';

export interface RawUpgrade {
  socket: Socket;
  /** Resolves when the server ends the connection. */
  closed: Promise<void>;
  /** Everything the server sent so far, as latin1 text. */
  received(): string;
}

/**
 * Opens a TCP connection and sends an upgrade request for `target` (a path, or any request target);
 * it never sends anything more, so it neither authenticates nor answers a close frame.
 * @example const s = await rawUpgrade(port, '/other'); await s.closed; s.received() // 'HTTP/1.1 404 ...'
 */
export async function rawUpgrade(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawUpgrade> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      '\r\n',
  );
  return { socket, closed, received: () => received };
}

/** How many connections the server holds open. */
export const openConnections = (server: import('node:net').Server): Promise<number> =>
  new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
