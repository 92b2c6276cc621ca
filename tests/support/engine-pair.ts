// Sync engines on in-process hosts joined by an in-memory link: the engine end to end without processes or sockets.
import type { FrameHandler, LinkFrame, LinkHub } from '../../core/link/link-hub.ts';
import type { RuleProgram, Sandbox } from '../../core/sandbox/sandbox.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineDeps } from '../../core/sync/engine.ts';
import { type InProcessHost, inProcessHost, insertConnection } from './in-process.ts';

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

export type MemoryLink = ReturnType<typeof memoryLink>;

/** One side: a host, its engine on connection `conn`, and the rules its engine runs (replace `program` at will). */
export interface Side {
  host: InProcessHost;
  engine: SyncEngine;
  conn: string;
  rules: { program: RuleProgram };
}

/**
 * A host (built-in or memory tracker) with an active connection `conn` and an engine on `hub`.
 * @example const A = await engineSide({ conn: 'ca', hub: link.a, mode: 'script', nodeId: 'node-a', tracker: 'builtin', sandbox: () => sb, program });
 */
export async function engineSide(opts: {
  conn: string;
  hub: LinkHub;
  mode: 'basic' | 'script';
  nodeId: string;
  tracker: 'builtin' | 'memory';
  sandbox: () => Sandbox;
  program: RuleProgram;
  /** Runs on the host before the connection and engine exist. */
  before?: ((host: InProcessHost) => Promise<void>) | undefined;
  /** Engine options over the fast test defaults. */
  engine?: Partial<SyncEngineDeps>;
  /** A host already there (a restart: the same database). */
  host?: InProcessHost;
}): Promise<Side> {
  const host = opts.host ?? (await inProcessHost({ tracker: opts.tracker }));
  if (!opts.host) {
    await opts.before?.(host);
    await insertConnection(host.services.db, opts.conn, opts.mode);
  }
  const rules = { program: opts.program };
  const engine = createSyncEngine({
    db: host.services.db,
    tracker: host.services.tracker,
    log: host.services.log,
    nodeId: opts.nodeId,
    link: () => opts.hub,
    rules: () => ({ program: async () => rules.program }),
    sandbox: opts.sandbox,
    tickMs: 100,
    delivery: { frameEvents: 4, windowEvents: 12, ackTimeoutMs: 500 },
    ...opts.engine,
  });
  await engine.start();
  return { host, engine, conn: opts.conn, rules };
}
