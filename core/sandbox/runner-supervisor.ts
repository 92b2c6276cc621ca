// Keeps one rule-runner process: starts it on demand, counts its deaths and tells the owner what killed it.
import { TandemError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { FromRunner } from './protocol.ts';
import { type RunnerExit, type RunnerProcess, spawnRunner } from './runner-process.ts';

const CRASH_WINDOW_MS = 10_000;
const MAX_CRASHES_IN_WINDOW = 6;

/** What the owner learns when the runner dies (not after `close`): the next use starts a new one. */
export interface RunnerDeath {
  /** V8 reported the runner's own heap exhausted. */
  memory: boolean;
  /** More than six deaths in ten seconds: work in flight should fail rather than be retried. */
  crashLoop: boolean;
}

/**
 * The supervised runner: started on first use, restarted on the use after it died.
 * @example const runner = superviseRunner({ onMessage, onDeath: (d) => retry(d), log }); runner.sendWhenReady((r) => r.send(msg));
 */
export interface RunnerSupervisor {
  /** The running runner, started if there is none (SANDBOX_CLOSED once closed). */
  ensure(): RunnerProcess;
  /** Sends once the runner is ready; if it dies first, `onDeath` is how the owner re-sends. */
  sendWhenReady(send: (runner: RunnerProcess) => void): void;
  /** The runner now, if one is running. */
  readonly current: RunnerProcess | undefined;
  /** Ends the running runner (a wedged one): its death is reported as any other. */
  kill(): void;
  readonly pid: number | undefined;
  /** Deaths so far. */
  readonly restarts: number;
  /** Ends the runner for good; later uses throw SANDBOX_CLOSED. */
  close(): void;
}

export function superviseRunner(deps: {
  onMessage: (msg: FromRunner) => void;
  onDeath: (death: RunnerDeath) => void;
  log?: Logger | undefined;
}): RunnerSupervisor {
  let runner: RunnerProcess | undefined;
  let closed = false;
  let restarts = 0;
  let crashTimes: number[] = [];

  function onExit(exit: RunnerExit): void {
    runner = undefined;
    if (closed) return;
    restarts++;
    const now = Date.now();
    crashTimes = [...crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const memory = /out of memory|heap limit|allocation failed/i.test(exit.stderr);
    deps.log?.warn({ code: exit.code, signal: exit.signal, memory }, 'rule runner exited; restarting it');
    deps.onDeath({ memory, crashLoop: crashTimes.length > MAX_CRASHES_IN_WINDOW });
  }

  const supervisor: RunnerSupervisor = {
    ensure() {
      if (closed) throw new TandemError('SANDBOX_CLOSED', 503, 'The rule sandbox is shut down');
      runner ??= spawnRunner(deps.onMessage, onExit);
      return runner;
    },
    sendWhenReady(send) {
      const r = supervisor.ensure();
      r.ready.then(
        () => send(r),
        () => {}, // the death handler re-dispatches everything in flight
      );
    },
    get current() {
      return runner;
    },
    kill() {
      runner?.kill();
    },
    get pid() {
      return runner?.pid;
    },
    get restarts() {
      return restarts;
    },
    close() {
      closed = true;
      const r = runner;
      runner = undefined;
      r?.kill();
    },
  };
  return supervisor;
}
