// Spawns the rule-runner child process and relays its messages; tells the owner when it dies.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FromRunner, ToRunner } from './protocol.ts';

const RUNNER = fileURLToPath(new URL('./rule-runner.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const STDERR_TAIL = 8_000;
/** A directory for CPU profiles of the runner (development: the bench's `BENCH_PROFILE` sets it). */
const PROFILE_DIR = process.env.TANDEM_RUNNER_CPU_PROF;

function profileArgs(): string[] {
  return PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
}

export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the runner wrote to stderr: V8 reports a fatal out-of-memory there. */
  stderr: string;
}

export interface RunnerProcess {
  readonly pid: number | undefined;
  /** Resolves once the runner can take requests; rejects if it died first. */
  readonly ready: Promise<void>;
  send(msg: ToRunner): void;
  kill(): void;
}

/**
 * Starts one runner: `node --no-node-snapshot --import tsx rule-runner.ts` with an IPC channel.
 * @example const r = spawnRunner((m) => route(m), (exit) => restart(exit)); await r.ready;
 */
export function spawnRunner(
  onMessage: (msg: FromRunner) => void,
  onExit: (exit: RunnerExit) => void,
): RunnerProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    [...profileArgs(), '--no-node-snapshot', '--import', TSX_LOADER, RUNNER],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // V8's serializer copies the calls' JSON texts as they are; 'json' would escape and re-parse them.
      serialization: 'advanced',
      // The runner needs nothing from the host's environment (tokens, keys): give it only the basics.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: process.env.NODE_ENV ?? 'production' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  let markReady: () => void = () => {};
  let markDead: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markDead = reject;
  });
  ready.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  let exited = false;
  child.on('message', (msg: FromRunner) => {
    if (msg.type === 'ready') markReady();
    else onMessage(msg);
  });
  const finish = (code: number | null, signal: NodeJS.Signals | null) => {
    if (exited) return;
    exited = true;
    markDead(new Error(`rule runner exited (code ${code}, signal ${signal})`));
    onExit({ code, signal, stderr });
  };
  child.on('exit', finish);
  child.on('error', (err) => {
    stderr += `\n${String(err)}`;
    finish(null, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    ready,
    send(msg) {
      if (!exited && child.connected) child.send(msg);
    },
    kill() {
      if (exited) return;
      if (PROFILE_DIR && child.connected) {
        // A profile is written only on a clean exit: the runner exits when its channel closes.
        child.disconnect();
        setTimeout(() => !exited && child.kill('SIGKILL'), 2_000).unref();
        return;
      }
      child.kill('SIGKILL');
    },
  };
}
