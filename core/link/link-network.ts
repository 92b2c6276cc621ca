// The LinkHub implementation: authenticated sockets per connection, dialing, heartbeats, reconnects.
import type { Server } from 'node:http';
import { TandemError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { Logger } from '../log.ts';
import { forwardedClient } from '../net/forwarded.ts';
import { addressKey, createIpMatcher } from '../net/ip-address.ts';
import { createRateLimiter } from '../net/rate-limit.ts';
import { createDialer } from './link-dialer.ts';
import type { DialOutcome, DialTarget, LinkDirectory } from './link-directory.ts';
import { createHandshakes, type HandshakeOptions, refuse } from './link-handshake.ts';
import type { FrameHandler, LinkHub } from './link-hub.ts';
import { type LinkSession, openSession } from './link-session.ts';
import type { SocketReader } from './socket-reader.ts';
import { type LinkListener, type LinkSocket, listenForLinks, MAX_FRAME_BYTES } from './ws-transport.ts';

export { backoffDelay } from './link-dialer.ts';
export type {
  Decision,
  DialFailedDecision,
  DialOutcome,
  DialTarget,
  LinkDirectory,
  PeerInfo,
} from './link-directory.ts';

export interface LinkStats {
  up: boolean;
  rttMs: number | null;
  since: string | null;
}

export interface LinkNetwork extends LinkHub {
  attach(server: Server): void;
  /** Keeps this connection dialed (reconnecting with capped, jittered backoff) until `stopDialing`. */
  keepDialing(target: DialTarget): void;
  /** Resolves once a dial already under way has ended. */
  stopDialing(connectionId: string): Promise<void>;
  /** One dial and handshake; on success the socket becomes the connection's live link. */
  dialOnce(target: DialTarget): Promise<DialOutcome>;
  disconnect(connectionId: string, code: number, reason: string): void;
  stats(connectionId: string): LinkStats;
  close(): Promise<void>;
}

export interface LinkOptions {
  identity: NodeIdentity;
  local: () => { url: string | null; name: string };
  directory: LinkDirectory;
  log: Logger;
  linkPath: string;
  heartbeatMs?: number;
  backoffMaxMs?: number;
  /**
   * How long a socket may take from its upgrade to being authenticated (and each step of a dial): one
   * not live by then is refused and dropped, so unauthenticated sockets cannot pile up.
   */
  handshakeTimeoutMs?: number;
  /**
   * Link handshakes allowed per second from one address (bursts of six times that); the address is
   * the peer's, or behind a trusted proxy the one it names in X-Forwarded-For.
   */
  handshakesPerSecond?: number;
  /** Proxies whose X-Forwarded-For is believed (TANDEM_TRUSTED_PROXIES, as `parseTrustedProxies` gives them). */
  trustedProxies?: readonly string[];
  /** Several processes on one database: where a peer's link runs, and relay legs from the others (link-relay.ts). */
  place?: HandshakeOptions['place'];
  acceptRelay?: HandshakeOptions['acceptRelay'];
}

export function createLinkNetwork(opts: LinkOptions): LinkNetwork {
  const { identity, directory, log } = opts;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const handshakeMs = opts.handshakeTimeoutMs ?? 10_000;
  const sessions = new Map<string, LinkSession>();
  const handlers = new Map<string, FrameHandler>();
  const statusListeners = new Set<(id: string, up: boolean) => void>();
  let listener: LinkListener | undefined;
  let closed = false;
  // Each handshake costs a signature check: a flood from one address is cut off before it.
  const perSecond = opts.handshakesPerSecond ?? 10;
  const handshakes = createRateLimiter({ capacity: perSecond * 6, refillPerSecond: perSecond });
  const trusted = createIpMatcher(opts.trustedProxies ?? []);

  function emitStatus(id: string, up: boolean) {
    for (const l of statusListeners) {
      try {
        l(id, up);
      } catch (err) {
        log.error({ err, connectionId: id }, 'link status listener failed');
      }
    }
  }

  function goLive(connectionId: string, socket: LinkSocket, reader: SocketReader) {
    const old = sessions.get(connectionId);
    const session = openSession({
      connectionId,
      socket,
      heartbeatMs,
      log,
      handler: (ch) => handlers.get(ch),
      onClose(closing, code, reason) {
        if (sessions.get(connectionId) !== closing) return;
        sessions.delete(connectionId);
        log.info({ connectionId, closeCode: code, reason }, 'link down');
        emitStatus(connectionId, false);
        if (!closed) dialer.linkDown(connectionId);
      },
    });
    sessions.set(connectionId, session);
    if (old) {
      old.stop();
      old.socket.close(4000, 'replaced by a newer link');
    }
    log.info({ connectionId }, 'link up');
    emitStatus(connectionId, true);
    session.listen(reader);
  }

  const shake = createHandshakes({
    identity,
    local: opts.local,
    directory,
    log,
    linkPath: opts.linkPath,
    handshakeMs,
    onLive: goLive,
    heartbeatMs,
    ...(opts.place ? { place: opts.place } : {}),
    ...(opts.acceptRelay ? { acceptRelay: opts.acceptRelay } : {}),
  });
  const dialer = createDialer({
    backoffMaxMs: opts.backoffMaxMs ?? 30_000,
    dial: (target) => shake.dial(target),
    isLive: (id) => sessions.has(id),
    directory,
    log,
  });

  return {
    isUp: (id) => sessions.get(id)?.socket.open ?? false,
    send(id, frame) {
      const s = sessions.get(id);
      if (!s?.socket.open) return false;
      const text = JSON.stringify(frame);
      if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
        throw new TandemError(
          'FRAME_TOO_LARGE',
          500,
          `A link frame on ${frame.ch} exceeds ${MAX_FRAME_BYTES} bytes`,
        );
      }
      s.socket.send(text);
      return true;
    },
    bufferedAmount: (id) => sessions.get(id)?.socket.bufferedAmount ?? 0,
    handle(channel, handler) {
      if (handlers.has(channel))
        throw new Error(`A handler for link channel ${channel} is already registered`);
      handlers.set(channel, handler);
    },
    onStatus(l) {
      statusListeners.add(l);
      return () => statusListeners.delete(l);
    },
    attach(server) {
      listener = listenForLinks(server, opts.linkPath, (socket, remote, forwardedFor) => {
        if (closed) return socket.close(1001, 'host shutting down');
        const client = forwardedClient(remote, forwardedFor, trusted);
        if (!handshakes.take(client ? addressKey(client) : remote))
          return refuse(socket, 'rate_limited', 'Too many link handshakes');
        shake.accept(socket, remote).catch((err: unknown) => {
          log.error({ err }, 'link handshake failed');
          socket.terminate();
        });
      });
    },
    keepDialing: (target) => dialer.keep(target),
    stopDialing: (id) => dialer.stop(id),
    dialOnce: (target) => shake.dial(target),
    disconnect(id, code, reason) {
      sessions.get(id)?.socket.close(code, reason);
    },
    stats(id) {
      const s = sessions.get(id);
      return { up: !!s?.socket.open, rttMs: s?.rttMs ?? null, since: s?.since ?? null };
    },
    async close() {
      closed = true;
      dialer.close();
      for (const s of sessions.values()) {
        s.stop();
        s.socket.close(1001, 'host shutting down');
      }
      await listener?.close();
    },
  } satisfies LinkNetwork;
}
