// The LinkHub implementation: authenticated sockets per connection, dialing, heartbeats, reconnects.
import type { Server } from 'node:http';
import type { JWK } from 'jose';
import { z } from 'zod';
import { TandemError } from '../errors.ts';
import { createRateLimiter } from '../http/rate-limit.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { jsonDepthProblem } from '../json-bounds.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue, type SerialQueue } from '../util/serial-queue.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import {
  authMessage,
  helloMessage,
  newNonce,
  okMessage,
  refusedMessage,
  signProof,
  verifyProof,
} from './handshake.ts';
import type { FrameHandler, LinkFrame, LinkHub } from './link-hub.ts';
import {
  LINK_REFUSED_CHANNEL,
  type LinkRefusedFrame,
  linkRefusedFrame,
  MAX_FRAME_DEPTH,
  shortPath,
} from './refusals.ts';
import {
  dialLink,
  type LinkListener,
  type LinkSocket,
  listenForLinks,
  MAX_FRAME_BYTES,
} from './ws-transport.ts';

/** What a peer proved about itself during a handshake. */
export interface PeerInfo {
  nodeId: string;
  jwk: JWK;
  url: string | null;
  name: string;
  protocol: number;
  skewMs: number;
  /** The invitation an acceptor presents on its first dial. */
  invitationId?: string | undefined;
}

export type Decision = { ok: true; connectionId: string } | { ok: false; code: string; message: string };

/** How the network asks the connections layer who may link; implemented by the connection service. */
export interface LinkDirectory {
  /** A dialer proved it holds `peer.jwk`: may it carry link `linkId`? (Pin or consume an invitation here.) */
  authorizeInbound(linkId: string, peer: PeerInfo): Promise<Decision>;
  /** We dialed and the peer proved its key; the last chance to refuse before the link goes up. */
  confirmOutbound(connectionId: string, peer: PeerInfo): Promise<boolean>;
  /** A kept-up dial was refused or failed (`peer_unreachable`, `wrong_key`, the peer's own code). */
  dialFailed(connectionId: string, code: string, message: string): void;
}

export interface DialTarget {
  connectionId: string;
  linkId: string;
  /** The peer's base URL; the link path is appended. */
  url: string;
  peerNodeId: string | null;
  pinnedJwk: JWK | null;
  invitationId?: string | undefined;
}

export type DialOutcome = { ok: true; peer: PeerInfo } | { ok: false; code: string; message: string };

export interface LinkStats {
  up: boolean;
  rttMs: number | null;
  since: string | null;
}

export interface LinkNetwork extends LinkHub {
  attach(server: Server): void;
  /** Keeps this connection dialed (reconnecting with capped, jittered backoff) until `stopDialing`. */
  keepDialing(target: DialTarget): void;
  stopDialing(connectionId: string): void;
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
   * Link handshakes allowed per second from one address (bursts of six times that). Behind a
   * reverse proxy every peer comes from the proxy's address, so such a host needs a higher figure.
   */
  handshakesPerSecond?: number;
}

/** Codes after which redialing is pointless until an admin acts. */
const FATAL = new Set(['revoked']);
const BACKOFF_BASE_MS = 200;
const MAX_HANDSHAKE_CHARS = 16 * 1024;
const frameSchema = z.looseObject({ ch: z.string().min(1).max(100) });

interface Session {
  connectionId: string;
  socket: LinkSocket;
  /** Its frames are handled one at a time, in the order they came. */
  frames: SerialQueue;
  since: string;
  rttMs: number | null;
  pingAt: number;
  pongAt: number;
  timer: NodeJS.Timeout;
}

interface DialEntry {
  target: DialTarget;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
}

/** Delay before redial `attempt` (0 = at once): exponential from 200 ms, capped, with jitter in [cap/2, cap]. */
export function backoffDelay(attempt: number, maxMs: number, random = Math.random): number {
  if (attempt === 0) return 0;
  const ceiling = Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** Reads handshake messages one at a time, then hands the socket over to the live frame path. */
function socketReader(socket: LinkSocket) {
  const buffered: string[] = [];
  let waiter: ((text: string | null) => void) | undefined;
  let live: ((text: string) => void) | undefined;
  let closed = false;
  socket.onMessage((text) => {
    if (live) live(text);
    else if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(text);
    } else buffered.push(text);
  });
  socket.onClose(() => {
    closed = true;
    waiter?.(null);
  });
  return {
    next(timeoutMs: number): Promise<string | null> {
      if (buffered.length) return Promise.resolve(buffered.shift()!);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiter = undefined;
          resolve(null);
        }, timeoutMs);
        waiter = (text) => {
          clearTimeout(t);
          resolve(text);
        };
      });
    },
    goLive(onText: (text: string) => void) {
      live = onText;
      for (const text of buffered.splice(0)) onText(text);
    },
  };
}

function parseJson<S extends z.ZodType>(schema: S, text: string | null): z.infer<S> | undefined {
  if (text === null) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export function createLinkNetwork(opts: LinkOptions): LinkNetwork {
  const { identity, directory, log } = opts;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const backoffMaxMs = opts.backoffMaxMs ?? 30_000;
  const handshakeMs = opts.handshakeTimeoutMs ?? 10_000;
  const sessions = new Map<string, Session>();
  const dials = new Map<string, DialEntry>();
  const handlers = new Map<string, FrameHandler>();
  const statusListeners = new Set<(id: string, up: boolean) => void>();
  let listener: LinkListener | undefined;
  let closed = false;
  // Each handshake costs a signature check: a flood from one address is cut off before it.
  const perSecond = opts.handshakesPerSecond ?? 10;
  const handshakes = createRateLimiter({ capacity: perSecond * 6, refillPerSecond: perSecond });

  function emitStatus(id: string, up: boolean) {
    for (const l of statusListeners) {
      try {
        l(id, up);
      } catch (err) {
        log.error({ err, connectionId: id }, 'link status listener failed');
      }
    }
  }

  /** Tells the peer a frame of its was dropped unread; a refusal itself is never answered. */
  function refuseFrame(session: Session, ch: string, code: string, message: string, path: string) {
    // Never the frame's contents in the log: its channel and why is enough to find it at the peer.
    log.warn({ connectionId: session.connectionId, ch, code }, 'link frame refused');
    if (ch === LINK_REFUSED_CHANNEL || !session.socket.open) return;
    const refusal: LinkRefusedFrame = { ch: LINK_REFUSED_CHANNEL, refused: ch, code, message, path };
    session.socket.send(JSON.stringify(refusal));
  }

  async function deliver(session: Session, text: string) {
    let raw: unknown;
    try {
      raw = JSON.parse(text); // iterative in V8: any depth parses; what walks it later may not
    } catch {
      session.socket.close(1007, 'invalid frame');
      return;
    }
    const parsed = frameSchema.safeParse(raw);
    if (!parsed.success) {
      session.socket.close(1007, 'invalid frame');
      return;
    }
    const frame = parsed.data as LinkFrame;
    const deep = jsonDepthProblem(raw, MAX_FRAME_DEPTH);
    if (deep) {
      const message = `The frame is nested more than ${MAX_FRAME_DEPTH} levels deep`;
      refuseFrame(session, frame.ch, 'frame_too_deep', message, shortPath(deep.path));
      return;
    }
    if (frame.ch === LINK_REFUSED_CHANNEL) {
      const refusal = linkRefusedFrame.safeParse(raw);
      log.warn(
        refusal.success
          ? { connectionId: session.connectionId, refused: refusal.data.refused, code: refusal.data.code }
          : { connectionId: session.connectionId },
        'the peer refused a link frame',
      );
    }
    const handler = handlers.get(frame.ch);
    if (!handler) {
      log.debug(
        { connectionId: session.connectionId, ch: frame.ch },
        'frame on an unhandled channel dropped',
      );
      return;
    }
    try {
      await handler(session.connectionId, frame);
    } catch (err) {
      log.error({ err, connectionId: session.connectionId, ch: frame.ch }, 'link frame handler failed');
    }
  }

  function goLive(connectionId: string, socket: LinkSocket, reader: ReturnType<typeof socketReader>) {
    const old = sessions.get(connectionId);
    const now = Date.now();
    const session: Session = {
      connectionId,
      socket,
      frames: createSerialQueue(),
      since: new Date(now).toISOString(),
      rttMs: null,
      pingAt: 0,
      pongAt: now,
      timer: setInterval(() => {
        if (Date.now() - session.pongAt > heartbeatMs * 3) {
          log.warn({ connectionId }, 'link heartbeat lost; dropping the socket');
          socket.terminate();
          return;
        }
        session.pingAt = Date.now();
        socket.ping();
      }, heartbeatMs),
    };
    session.timer.unref();
    socket.onPong(() => {
      session.pongAt = Date.now();
      if (session.pingAt) session.rttMs = session.pongAt - session.pingAt;
    });
    socket.onClose((code, reason) => {
      clearInterval(session.timer);
      if (sessions.get(connectionId) !== session) return;
      sessions.delete(connectionId);
      log.info({ connectionId, closeCode: code, reason }, 'link down');
      emitStatus(connectionId, false);
      const entry = dials.get(connectionId);
      if (entry && !closed) schedule(entry);
    });
    sessions.set(connectionId, session);
    if (old) {
      clearInterval(old.timer);
      old.socket.close(4000, 'replaced by a newer link');
    }
    log.info({ connectionId }, 'link up');
    emitStatus(connectionId, true);
    reader.goLive((text) => {
      session.pongAt = Date.now();
      session.frames
        .run(connectionId, () => deliver(session, text))
        .catch((err: unknown) => log.error({ err, connectionId }, 'link frame delivery failed'));
    });
  }

  /** Sends the refusal and closes; a peer that does not answer the close is dropped (CLOSE_TIMEOUT_MS). */
  function refuse(socket: LinkSocket, code: string, message: string) {
    if (socket.open) {
      socket.send(JSON.stringify({ t: 'refused', code, message }));
      socket.close(4403, code);
    }
  }

  /** A socket that is not live `handshakeMs` after its upgrade is refused, whatever step it is at. */
  async function acceptSocket(socket: LinkSocket, remote: string) {
    const deadline = setTimeout(
      () => refuse(socket, 'handshake_timeout', `The handshake did not finish within ${handshakeMs} ms`),
      handshakeMs,
    );
    deadline.unref();
    try {
      await handshakeIn(socket, remote);
    } finally {
      clearTimeout(deadline);
    }
  }

  async function handshakeIn(socket: LinkSocket, remote: string) {
    const reader = socketReader(socket);
    const nonce = newNonce();
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, nodeId: identity.nodeId, nonce }));
    const first = await reader.next(handshakeMs);
    if (first === null)
      return refuse(socket, 'handshake_timeout', `No auth message within ${handshakeMs} ms`);
    // Nothing large is parsed before the peer is authenticated.
    const auth = first.length <= MAX_HANDSHAKE_CHARS ? parseJson(authMessage, first) : undefined;
    if (!auth) return refuse(socket, 'bad_handshake', 'Expected an auth message');
    const check = await verifyProof(auth.proof, { me: identity.nodeId, nonce });
    if (!check.ok) {
      log.warn({ remote, reason: check.code }, 'link handshake refused');
      return refuse(socket, check.code, check.message);
    }
    const c = check.claims;
    const peer: PeerInfo = {
      nodeId: c.iss,
      jwk: c.jwk,
      url: c.url,
      name: c.name,
      protocol: c.v,
      skewMs: check.skewMs,
      invitationId: c.jti,
    };
    const decision = await directory.authorizeInbound(c.lid, peer);
    if (!decision.ok) {
      log.warn({ remote, reason: decision.code }, 'link handshake refused');
      return refuse(socket, decision.code, decision.message);
    }
    if (!socket.open) return;
    const { url, name } = opts.local();
    const proof = await signProof(identity, {
      aud: c.iss,
      lid: c.lid,
      n: c.dn,
      dn: newNonce(),
      v: PROTOCOL_VERSION,
      url,
      name,
    });
    socket.send(JSON.stringify({ t: 'ok', proof }));
    goLive(decision.connectionId, socket, reader);
  }

  /** Dials and authenticates; a socket that does not go live is closed on every way out. */
  async function handshakeOut(target: DialTarget): Promise<DialOutcome> {
    let socket: LinkSocket;
    const url = `${target.url.replace(/^http/, 'ws').replace(/\/+$/, '')}${opts.linkPath}`;
    try {
      socket = await dialLink(url, handshakeMs);
    } catch (err) {
      return {
        ok: false,
        code: 'peer_unreachable',
        message: `Could not reach ${target.url}: ${(err as Error).message}`,
      };
    }
    let outcome: DialOutcome;
    try {
      outcome = await authenticateOut(socket, target);
    } catch (err) {
      socket.terminate();
      throw err;
    }
    if (!outcome.ok && socket.open) socket.close(4403, outcome.code);
    return outcome;
  }

  async function authenticateOut(socket: LinkSocket, target: DialTarget): Promise<DialOutcome> {
    const reader = socketReader(socket);
    const fail = (code: string, message: string): DialOutcome => ({ ok: false, code, message });
    const greeting = await reader.next(handshakeMs);
    const hello = parseJson(helloMessage, greeting);
    if (!hello) {
      // A host may refuse before greeting (too many handshakes from here): say so, not "not Tandem".
      const refusedFirst = parseJson(refusedMessage, greeting);
      if (refusedFirst) return fail(refusedFirst.code, refusedFirst.message);
      return fail('bad_handshake', 'The peer did not greet like a Tandem host');
    }
    if (target.peerNodeId && hello.nodeId !== target.peerNodeId) {
      return fail('wrong_key', `The host at ${target.url} has another node key than the pinned one`);
    }
    const dn = newNonce();
    const { url: myUrl, name } = opts.local();
    const proof = await signProof(identity, {
      aud: hello.nodeId,
      lid: target.linkId,
      n: hello.nonce,
      dn,
      v: PROTOCOL_VERSION,
      url: myUrl,
      name,
      ...(target.invitationId ? { jti: target.invitationId } : {}),
    });
    socket.send(JSON.stringify({ t: 'auth', proof }));
    const text = await reader.next(handshakeMs);
    const refused = parseJson(refusedMessage, text);
    if (refused) return { ok: false, code: refused.code, message: refused.message };
    const ok = parseJson(okMessage, text);
    if (!ok) return fail('bad_handshake', 'The peer did not answer the handshake');
    const check = await verifyProof(ok.proof, {
      me: identity.nodeId,
      nonce: dn,
      peerNodeId: target.peerNodeId,
      pinnedJwk: target.pinnedJwk,
    });
    if (!check.ok) return fail(check.code, check.message);
    if (check.claims.lid !== target.linkId) return fail('bad_proof', 'The peer answered for another link');
    const c = check.claims;
    const peer: PeerInfo = {
      nodeId: c.iss,
      jwk: c.jwk,
      url: c.url,
      name: c.name,
      protocol: c.v,
      skewMs: check.skewMs,
    };
    if (!(await directory.confirmOutbound(target.connectionId, peer)))
      return fail('revoked', 'Connection no longer exists');
    if (!socket.open)
      return { ok: false, code: 'peer_unreachable', message: 'The socket closed during the handshake' };
    goLive(target.connectionId, socket, reader);
    return { ok: true, peer };
  }

  function schedule(entry: DialEntry) {
    if (entry.timer || closed) return;
    const delay = backoffDelay(entry.attempt, backoffMaxMs);
    entry.attempt++;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void attempt(entry);
    }, delay);
    entry.timer.unref();
  }

  async function attempt(entry: DialEntry) {
    const id = entry.target.connectionId;
    if (closed || entry.running || sessions.has(id) || dials.get(id) !== entry) return;
    entry.running = true;
    let outcome: DialOutcome;
    try {
      outcome = await handshakeOut(entry.target);
    } catch (err) {
      outcome = { ok: false, code: 'peer_unreachable', message: String(err) };
    } finally {
      entry.running = false;
    }
    if (outcome.ok) {
      entry.attempt = 0;
      return;
    }
    if (dials.get(id) !== entry) return;
    directory.dialFailed(id, outcome.code, outcome.message);
    if (FATAL.has(outcome.code)) dials.delete(id);
    else if (!sessions.has(id)) schedule(entry);
  }

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
      listener = listenForLinks(server, opts.linkPath, (socket, remote) => {
        if (closed) return socket.close(1001, 'host shutting down');
        if (!handshakes.take(remote)) return refuse(socket, 'rate_limited', 'Too many link handshakes');
        acceptSocket(socket, remote).catch((err: unknown) => {
          log.error({ err }, 'link handshake failed');
          socket.terminate();
        });
      });
    },
    keepDialing(target) {
      const existing = dials.get(target.connectionId);
      if (existing) {
        existing.target = target;
        if (!sessions.has(target.connectionId) && !existing.running) schedule(existing);
        return;
      }
      const entry: DialEntry = { target, attempt: 0, timer: undefined, running: false };
      dials.set(target.connectionId, entry);
      if (!sessions.has(target.connectionId)) schedule(entry);
    },
    stopDialing(id) {
      const entry = dials.get(id);
      if (entry?.timer) clearTimeout(entry.timer);
      dials.delete(id);
    },
    dialOnce: (target) => handshakeOut(target),
    disconnect(id, code, reason) {
      sessions.get(id)?.socket.close(code, reason);
    },
    stats(id) {
      const s = sessions.get(id);
      return { up: !!s?.socket.open, rttMs: s?.rttMs ?? null, since: s?.since ?? null };
    },
    async close() {
      closed = true;
      for (const entry of dials.values()) if (entry.timer) clearTimeout(entry.timer);
      dials.clear();
      for (const s of sessions.values()) {
        clearInterval(s.timer);
        s.socket.close(1001, 'host shutting down');
      }
      await listener?.close();
    },
  } satisfies LinkNetwork;
}
