// One live, authenticated link: its heartbeat, and its incoming frames checked and handled in order.
import { z } from 'zod';
import { jsonDepthProblem } from '../json-bounds.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import type { FrameHandler, LinkFrame } from './link-hub.ts';
import {
  LINK_REFUSED_CHANNEL,
  type LinkRefusedFrame,
  linkRefusedFrame,
  MAX_FRAME_DEPTH,
  shortPath,
} from './refusals.ts';
import type { SocketReader } from './socket-reader.ts';
import type { LinkSocket } from './ws-transport.ts';

const frameSchema = z.looseObject({ ch: z.string().min(1).max(100) });

/**
 * A connection's live socket. The network keeps one per connection; a newer one replaces it.
 * @example const s = openSession({ connectionId, socket, heartbeatMs, log, handler, onClose }); s.listen(reader);
 */
export interface LinkSession {
  readonly connectionId: string;
  readonly socket: LinkSocket;
  /** When it went live (ISO time). */
  readonly since: string;
  /** The last heartbeat's round trip, once one came back. */
  readonly rttMs: number | null;
  /** Starts handling frames: those the handshake buffered first, then each as it comes, one at a time. */
  listen(reader: SocketReader): void;
  /** Stops the heartbeat (the socket is closed by the caller). */
  stop(): void;
}

export interface SessionOptions {
  connectionId: string;
  socket: LinkSocket;
  heartbeatMs: number;
  log: Logger;
  /** The handler registered for a channel, if any. */
  handler: (channel: string) => FrameHandler | undefined;
  /** The socket closed (the heartbeat is already stopped). */
  onClose: (session: LinkSession, code: number, reason: string) => void;
}

export function openSession(opts: SessionOptions): LinkSession {
  const { connectionId, socket, heartbeatMs, log } = opts;
  const frames = createSerialQueue();
  const started = Date.now();
  let rttMs: number | null = null;
  let pingAt = 0;
  let pongAt = started;
  const timer = setInterval(() => {
    if (Date.now() - pongAt > heartbeatMs * 3) {
      log.warn({ connectionId }, 'link heartbeat lost; dropping the socket');
      socket.terminate();
      return;
    }
    pingAt = Date.now();
    socket.ping();
  }, heartbeatMs);
  timer.unref();

  /** Tells the peer a frame of its was dropped unread; a refusal itself is never answered. */
  function refuseFrame(ch: string, code: string, message: string, path: string) {
    // Never the frame's contents in the log: its channel and why is enough to find it at the peer.
    log.warn({ connectionId, ch, code }, 'link frame refused');
    if (ch === LINK_REFUSED_CHANNEL || !socket.open) return;
    const refusal: LinkRefusedFrame = { ch: LINK_REFUSED_CHANNEL, refused: ch, code, message, path };
    socket.send(JSON.stringify(refusal));
  }

  async function deliver(text: string) {
    let raw: unknown;
    try {
      raw = JSON.parse(text); // iterative in V8: any depth parses; what walks it later may not
    } catch {
      socket.close(1007, 'invalid frame');
      return;
    }
    const parsed = frameSchema.safeParse(raw);
    if (!parsed.success) {
      socket.close(1007, 'invalid frame');
      return;
    }
    const frame = parsed.data as LinkFrame;
    const deep = jsonDepthProblem(raw, MAX_FRAME_DEPTH);
    if (deep) {
      const message = `The frame is nested more than ${MAX_FRAME_DEPTH} levels deep`;
      refuseFrame(frame.ch, 'frame_too_deep', message, shortPath(deep.path));
      return;
    }
    if (frame.ch === LINK_REFUSED_CHANNEL) {
      const refusal = linkRefusedFrame.safeParse(raw);
      log.warn(
        refusal.success
          ? { connectionId, refused: refusal.data.refused, code: refusal.data.code }
          : { connectionId },
        'the peer refused a link frame',
      );
    }
    const handler = opts.handler(frame.ch);
    if (!handler) {
      log.debug({ connectionId, ch: frame.ch }, 'frame on an unhandled channel dropped');
      return;
    }
    try {
      await handler(connectionId, frame);
    } catch (err) {
      log.error({ err, connectionId, ch: frame.ch }, 'link frame handler failed');
    }
  }

  const session: LinkSession = {
    connectionId,
    socket,
    since: new Date(started).toISOString(),
    get rttMs() {
      return rttMs;
    },
    listen(reader) {
      reader.goLive((text) => {
        pongAt = Date.now();
        frames
          .run(connectionId, () => deliver(text))
          .catch((err: unknown) => log.error({ err, connectionId }, 'link frame delivery failed'));
      });
    },
    stop: () => clearInterval(timer),
  };
  socket.onPong(() => {
    pongAt = Date.now();
    if (pingAt) rttMs = pongAt - pingAt;
  });
  socket.onClose((code, reason) => {
    clearInterval(timer);
    opts.onClose(session, code, reason);
  });
  return session;
}
