// Both ends of the link handshake: a dialed socket authenticated against the directory, and a dial out.
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { Logger } from '../log.ts';
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
import type { DialOutcome, DialTarget, LinkDirectory, PeerInfo } from './link-directory.ts';
import { type LinkPlacement, openRelay, pipe, relayMessage } from './link-relay.ts';
import { parseJson, type SocketReader, socketReader } from './socket-reader.ts';
import { dialLink, type LinkSocket } from './ws-transport.ts';

const MAX_HANDSHAKE_CHARS = 16 * 1024;

/**
 * Runs handshakes; a socket that passes goes to `onLive`, synchronously, before any other event of it.
 * @example const hs = createHandshakes({ ...opts, onLive }); await hs.accept(socket, remote);
 */
export interface Handshakes {
  /** Authenticates a socket that dialed us; refused and dropped unless live within the time-out. */
  accept(socket: LinkSocket, remote: string): Promise<void>;
  /** Dials and authenticates; a socket that does not go live is closed on every way out. */
  dial(target: DialTarget): Promise<DialOutcome>;
}

export interface HandshakeOptions {
  identity: NodeIdentity;
  local: () => { url: string | null; name: string };
  directory: Pick<LinkDirectory, 'authorizeInbound' | 'confirmOutbound'>;
  log: Logger;
  linkPath: string;
  handshakeMs: number;
  onLive: (connectionId: string, socket: LinkSocket, reader: SocketReader) => void;
  /**
   * Where an authenticated peer's link runs (several processes on one database): here, or relayed to the
   * process holding the connection. Here when absent.
   */
  place?: (connectionId: string) => Promise<LinkPlacement>;
  /** A relay leg from another process of this node: true when its key is ours and we hold the connection. */
  acceptRelay?: (connectionId: string, key: string) => boolean;
  /** Heartbeat of relayed links' peer legs. */
  heartbeatMs?: number;
}

/** Sends the refusal and closes; a peer that does not answer the close is dropped (CLOSE_TIMEOUT_MS). */
export function refuse(socket: LinkSocket, code: string, message: string): void {
  if (socket.open) {
    socket.send(JSON.stringify({ t: 'refused', code, message }));
    socket.close(4403, code);
  }
}

export function createHandshakes(opts: HandshakeOptions): Handshakes {
  const { identity, directory, log, handshakeMs } = opts;

  async function handshakeIn(socket: LinkSocket, remote: string) {
    const reader = socketReader(socket);
    const nonce = newNonce();
    socket.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, nodeId: identity.nodeId, nonce }));
    const first = await reader.next(handshakeMs);
    if (first === null)
      return refuse(socket, 'handshake_timeout', `No auth message within ${handshakeMs} ms`);
    const relay =
      opts.acceptRelay && first.length <= MAX_HANDSHAKE_CHARS ? parseJson(relayMessage, first) : undefined;
    if (relay) {
      if (!opts.acceptRelay?.(relay.connectionId, relay.key))
        return refuse(socket, 'not_holder', 'This process does not run that connection');
      socket.send(JSON.stringify({ t: 'relayed' }));
      return opts.onLive(relay.connectionId, socket, reader);
    }
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
    const where = (await opts.place?.(decision.connectionId)) ?? { here: true };
    let relayTo: LinkSocket | undefined;
    if (!where.here) {
      if (where.url === null)
        return refuse(socket, 'unavailable', 'No process of this node can take the link now');
      try {
        relayTo = await openRelay(
          where.url,
          opts.linkPath,
          decision.connectionId,
          where.relayKey,
          handshakeMs,
        );
      } catch (err) {
        log.warn(
          { err, connectionId: decision.connectionId },
          'relaying a link to its holding process failed',
        );
        return refuse(socket, 'unavailable', 'The process running this connection cannot be reached');
      }
      if (!socket.open) return relayTo.close(1001, 'peer gone');
    }
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
    if (relayTo) pipe(socket, reader, relayTo, decision.connectionId, log, opts.heartbeatMs ?? 15_000);
    else opts.onLive(decision.connectionId, socket, reader);
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
    opts.onLive(target.connectionId, socket, reader);
    return { ok: true, peer };
  }

  return {
    /** A socket that is not live `handshakeMs` after its upgrade is refused, whatever step it is at. */
    async accept(socket, remote) {
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
    },

    async dial(target) {
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
    },
  } satisfies Handshakes;
}
