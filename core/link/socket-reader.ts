// Reads a link socket's handshake messages one at a time, then hands it over to the live frame path.
import type { z } from 'zod';
import type { LinkSocket } from './ws-transport.ts';

/**
 * The handshake's view of a socket: the next message (or null on close or time-out), then live.
 * @example const reader = socketReader(socket); const hello = await reader.next(10_000); reader.goLive(onText);
 */
export interface SocketReader {
  /** The next message, buffered or awaited; null once the socket closed or `timeoutMs` passed. */
  next(timeoutMs: number): Promise<string | null>;
  /** From now on every message goes to `onText`, those buffered first. */
  goLive(onText: (text: string) => void): void;
}

export function socketReader(socket: LinkSocket): SocketReader {
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
    next(timeoutMs) {
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
    goLive(onText) {
      live = onText;
      for (const text of buffered.splice(0)) onText(text);
    },
  };
}

/** A handshake message parsed by `schema`, or undefined for none, bad JSON or the wrong shape. */
export function parseJson<S extends z.ZodType>(schema: S, text: string | null): z.infer<S> | undefined {
  if (text === null) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
