// The one file that imports `ws`: listens for link upgrades on the host's server and dials peers.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

/** Largest frame either side accepts; a bigger one closes the socket (1009). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * A text-frame socket, whichever side opened it.
 * @example socket.onMessage((text) => handle(JSON.parse(text)));
 */
export interface LinkSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  readonly bufferedAmount: number;
  readonly open: boolean;
  onMessage(cb: (text: string) => void): void;
  onClose(cb: (code: number, reason: string) => void): void;
  onPong(cb: () => void): void;
}

function wrap(ws: WebSocket): LinkSocket {
  // Listen at once: a peer's first frame can arrive in the same chunk as the upgrade response.
  const early: string[] = [];
  let onText: ((text: string) => void) | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'text frames only');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    if (onText) onText(text);
    else early.push(text);
  });
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason.slice(0, 120)),
    terminate: () => ws.terminate(),
    ping: () => ws.ping(),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    onMessage: (cb) => {
      onText = cb;
      for (const text of early.splice(0)) cb(text);
    },
    onClose: (cb) => ws.on('close', (code, reason) => cb(code, reason.toString())),
    onPong: (cb) => ws.on('pong', () => cb()),
  };
}

export interface LinkListener {
  close(): Promise<void>;
}

/** Handles WebSocket upgrades at `path` on the host's HTTP server; other paths are left alone. */
export function listenForLinks(
  server: Server,
  path: string,
  onSocket: (socket: LinkSocket, remoteAddress: string) => void,
): LinkListener {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://link.invalid');
    if (url.pathname !== path) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      onSocket(wrap(ws), req.socket.remoteAddress ?? 'unknown');
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.close(1001, 'host shutting down');
        wss.close(() => resolve());
      }),
  };
}

/** Opens a socket to a peer's link endpoint; rejects on network failure or time-out. */
export function dialLink(url: string, timeoutMs = 10_000): Promise<LinkSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    const socket = wrap(ws);
    const fail = (err: Error) => {
      ws.removeAllListeners('open');
      ws.terminate();
      reject(err);
    };
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) =>
      fail(new Error(`link endpoint answered HTTP ${res.statusCode}`)),
    );
    ws.once('open', () => {
      ws.off('error', fail);
      ws.on('error', () => ws.terminate());
      resolve(socket);
    });
  });
}
