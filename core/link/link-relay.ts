// A peer's link that reached a process of this node which does not run its connection: that process ends the
// peer's handshake (it is the same node: same key, same database) and relays the frames, unchanged, over a
// socket to the process that holds the connection's lease, where the link goes live as if dialed directly.
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { helloMessage } from './handshake.ts';
import { parseJson, type SocketReader, socketReader } from './socket-reader.ts';
import { dialLink, type LinkSocket } from './ws-transport.ts';

/** Where a connection's link must go: this process, or the holder's own listen URL and relay key. */
export type LinkPlacement =
  | { here: true }
  | { here: false; url: string; relayKey: string }
  /** No process can take the link now (the database is unreachable): the peer is refused and redials. */
  | { here: false; url: null };

const relayedMessage = z.object({ t: z.literal('relayed') }).strict();

/** The first message a relaying process sends the holder, in place of the peer's `auth`. */
export const relayMessage = z
  .object({ t: z.literal('relay'), connectionId: z.string().min(1).max(64), key: z.string().min(1).max(200) })
  .strict();

/**
 * Opens the relay leg to the holder: its greeting read, the relay message sent and taken (`relayed`); it
 * throws when the holder refuses it (a wrong key, or it no longer holds the connection).
 */
export async function openRelay(
  holderUrl: string,
  linkPath: string,
  connectionId: string,
  relayKey: string,
  timeoutMs: number,
): Promise<LinkSocket> {
  const socket = await dialLink(
    `${holderUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}${linkPath}`,
    timeoutMs,
  );
  const reader = socketReader(socket);
  const hello = parseJson(helloMessage, await reader.next(timeoutMs));
  if (!hello) {
    socket.terminate();
    throw new Error('the holding process did not greet');
  }
  socket.send(JSON.stringify({ t: 'relay', connectionId, key: relayKey }));
  const answer = parseJson(relayedMessage, await reader.next(timeoutMs));
  if (!answer) {
    socket.terminate();
    throw new Error('the holding process refused the relay');
  }
  // Frames the holder sends go to the peer through `pipe`, which takes over the reader.
  relayReaders.set(socket, reader);
  return socket;
}

const relayReaders = new WeakMap<LinkSocket, SocketReader>();

/**
 * Relays text frames both ways until either side closes, then closes the other with the same code. Heartbeats
 * are WebSocket pings each side answers on its own leg, so each leg's liveness is watched by its ends.
 */
export function pipe(
  peer: LinkSocket,
  peerReader: SocketReader,
  holder: LinkSocket,
  connectionId: string,
  log: Logger,
  heartbeatMs: number,
): void {
  const holderReader = relayReaders.get(holder) ?? socketReader(holder);
  let ended = false;
  // The holder's heartbeat reaches only this process: the peer's leg gets its own, or a peer gone silent
  // would look alive to the holder for good.
  let pongAt = Date.now();
  peer.onPong(() => {
    pongAt = Date.now();
  });
  const beat = setInterval(() => {
    if (Date.now() - pongAt > heartbeatMs * 3) end(peer, holder, 1001, 'relayed peer silent');
    else if (peer.open) peer.ping();
  }, heartbeatMs);
  beat.unref();
  const end = (from: LinkSocket, to: LinkSocket, code: number, reason: string) => {
    if (ended) return;
    ended = true;
    clearInterval(beat);
    log.info({ connectionId, closeCode: code, reason }, 'relayed link down');
    // 1005/1006 cannot be sent: a leg that dropped is passed on as a going-away close.
    const sendable = code >= 4000 || code === 1000 || code === 1001 ? code : 1001;
    if (to.open) to.close(sendable, reason || 'relay leg closed');
    if (from.open) from.terminate();
  };
  peer.onClose((code, reason) => end(peer, holder, code, reason));
  holder.onClose((code, reason) => end(holder, peer, code, reason));
  peerReader.goLive((text) => {
    if (holder.open) holder.send(text);
  });
  holderReader.goLive((text) => {
    if (peer.open) peer.send(text);
  });
  log.info({ connectionId }, 'link relayed to the holding process');
}
