// When the engine steps: woken by changes, frames and a tick, one step at a time, beside no other engine work.
import type { Db } from '../../../storage/schema.ts';
import type { Logger } from '../../log.ts';
import { createSerialQueue } from '../../util/serial-queue.ts';
import type { Cancel, Clock } from '../clock.ts';
import { closeConnectionErrors, recordError } from '../sync-errors.ts';

/** How a failed step's node-level error begins: closed by the next step that works. */
export const STEP_CAUSE = 'The sync engine could not run a step:';
const COALESCE_MS = 5;

/**
 * Runs `step` while there is work: a wake during a step runs another one after it; a step that says more
 * work waits runs again at once. A step that throws (the feed, the database: not one connection's failure)
 * is a node-level error, closed by the next step that works.
 * @example const s = createScheduler({ db, log, clock, step }); s.start(1000); s.wakeSoon(); await s.exclusive(job);
 */
export interface Scheduler {
  /** A step now, or right after the one running. */
  wake(): void;
  /**
   * A step in a few milliseconds: local writes come in bursts (an import, a bulk edit, a transaction of
   * many rows), and one step takes the burst instead of a step per write.
   */
  wakeSoon(): void;
  /** Runs `fn` after every earlier step and exclusive job: outgoing, apply and runs never interleave. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Wakes now and every `tickMs` (activations, held connections' backoff). */
  start(tickMs: number): void;
  /** No more steps or timers; what runs goes on (`drain` waits for it). */
  halt(): void;
  /** Resolves once no step runs and no exclusive job is queued. */
  drain(): Promise<void>;
  /** True when no step runs or is due and no exclusive job is queued. */
  readonly quiet: boolean;
  readonly halted: boolean;
}

export function createScheduler(deps: {
  db: Db;
  log: Logger;
  clock: Clock;
  step(): Promise<boolean>;
}): Scheduler {
  const { db, log, clock } = deps;
  const queue = createSerialQueue();
  const exclusive = <T>(fn: () => Promise<T>) => queue.run('engine', fn);
  let stopped = false;
  let dirty = false;
  let running: Promise<void> | undefined;
  let soon: Cancel | undefined;
  let tick: Cancel | undefined;
  let stepFailing = false;

  async function loop() {
    while (dirty && !stopped) {
      dirty = false;
      try {
        if (await exclusive(deps.step)) dirty = true;
        if (stepFailing) {
          stepFailing = false;
          await closeConnectionErrors(db, null, 'node', STEP_CAUSE).catch(() => undefined);
        }
      } catch (err) {
        stepFailing = true;
        log.error({ err }, 'sync step failed');
        await recordError(db, {
          level: 'node',
          connectionId: null,
          message: `${STEP_CAUSE} ${err instanceof Error ? err.message : String(err)}`,
        }).catch(() => undefined);
      }
    }
  }

  function wake() {
    dirty = true;
    if (!running && !stopped) running = loop().finally(() => (running = undefined));
  }

  return {
    wake,
    wakeSoon() {
      soon ??= clock.after(COALESCE_MS, () => {
        soon = undefined;
        wake();
      });
    },
    exclusive,
    start(tickMs) {
      tick = clock.every(tickMs, wake);
      wake();
    },
    halt() {
      stopped = true;
      tick?.();
      soon?.();
      soon = undefined;
    },
    async drain() {
      await running;
      await queue.idle();
    },
    get quiet() {
      return !running && !dirty && !soon && queue.size === 0;
    },
    get halted() {
      return stopped;
    },
  };
}
