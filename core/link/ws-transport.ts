// The one file that imports `ws`: listens for link upgrades on the host's server and dials peers.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ClientOptions, type ServerOptions, WebSocket, WebSocketServer } from 'ws';

/** Largest frame either side accepts; a bigger one closes the socket (1009). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * How long a closing socket waits for the peer's close frame before it is dropped. ws waits 30 s by
 * default, so a peer that never answered kept every refused or replaced socket that long.
 */
export const CLOSE_TIMEOUT_MS = 1000;

/** `closeTimeout` is a ws option its type declarations do not list yet. */
type WithCloseTimeout<T> = T & { closeTimeout: number };

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

/** Answers an upgrade request that will not become a link, and drops its socket once the answer is out. */
function refuseUpgrade(socket: Duplex, status: 400 | 404) {
  const text = status === 404 ? 'Not Found' : 'Bad Request';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** The path of a request target (origin or absolute form), or null when it is not a URL. */
function pathOf(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://link.invalid').pathname;
  } catch {
    return null; // e.g. `//` or `http://[`: `new URL` throws, and a throw here would end the process
  }
}

/**
 * Handles WebSocket upgrades on the host's HTTP server: those at `path` become link sockets, every
 * other one is answered (404, or 400 when its target is no URL) and its socket destroyed.
 * This listener owns every upgrade of the server: once a server has an `upgrade` listener, Node hands
 * upgrade requests to those listeners alone (never to the request handler), so one left unanswered
 * stays open until the client gives up, and a reset on it ends the process (its socket has no error
 * listener). The host has no other WebSocket endpoint; another would be routed here, not added as a
 * second listener.
 */
export function listenForLinks(
  server: Server,
  path: string,
  onSocket: (socket: LinkSocket, remoteAddress: string, forwardedFor: string | undefined) => void,
): LinkListener {
  const options: WithCloseTimeout<ServerOptions> = {
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    closeTimeout: CLOSE_TIMEOUT_MS,
  };
  const wss = new WebSocketServer(options);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node took its own error listener off the socket when it emitted the upgrade.
    socket.on('error', () => socket.destroy());
    const target = pathOf(req.url);
    if (target !== path) return refuseUpgrade(socket, target === null ? 400 : 404);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      const forwarded = req.headers['x-forwarded-for'];
      onSocket(
        wrap(ws),
        req.socket.remoteAddress ?? 'unknown',
        Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      );
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
    const options: WithCloseTimeout<ClientOptions> = {
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
    };
    const ws = new WebSocket(url, options);
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
