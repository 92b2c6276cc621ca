// Two LinkHubs joined in memory, for engine tests without sockets: frames in order, asynchronously; a cut drops them.
import type { FrameHandler, LinkFrame, LinkHub } from '../../core/link/link-hub.ts';

/** Two LinkHubs joined in memory; frames arrive in order, asynchronously; a cut drops frames in flight. */
export function memoryLink(connA: string, connB: string) {
  class Hub implements LinkHub {
    handlers = new Map<string, FrameHandler>();
    listeners = new Set<(id: string, up: boolean) => void>();
    queue: Promise<void> = Promise.resolve();
    peer!: Hub;
    /** Rewrites what this hub sends (drop, duplicate, reorder); identity by default. */
    tap: (frame: LinkFrame) => LinkFrame[] = (f) => [f];
    sent: LinkFrame[] = [];
    constructor(readonly connId: string) {}
    isUp = () => link.up;
    send(_id: string, frame: LinkFrame) {
      if (!link.up) return false;
      const gen = link.generation;
      const copy = JSON.parse(JSON.stringify(frame)) as LinkFrame;
      this.sent.push(copy);
      for (const f of this.tap(copy)) {
        const peer = this.peer;
        peer.queue = peer.queue.then(async () => {
          await new Promise((r) => setImmediate(r));
          if (!link.up || link.generation !== gen) return;
          try {
            await peer.handlers.get(f.ch)?.(peer.connId, f);
          } catch {
            // a handler failure ends nothing else, as on the real link
          }
        });
      }
      return true;
    }
    bufferedAmount = () => 0;
    handle(ch: string, h: FrameHandler) {
      this.handlers.set(ch, h);
    }
    onStatus(l: (id: string, up: boolean) => void) {
      this.listeners.add(l);
      return () => this.listeners.delete(l);
    }
  }
  const a = new Hub(connA);
  const b = new Hub(connB);
  a.peer = b;
  b.peer = a;
  const link = {
    up: false,
    generation: 0,
    a,
    b,
    set(up: boolean) {
      link.up = up;
      link.generation++;
      for (const h of [a, b]) for (const l of h.listeners) l(h.connId, up);
    },
  };
  return link;
}
