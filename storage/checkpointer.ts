// Moves the host database's WAL checkpoints into a worker thread, so no commit stalls the event loop on one.
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteConnection } from 'better-sqlite3';

/** SQLite's default wal_autocheckpoint (pages): the host's commits checkpoint inline again at this. */
const INLINE_AUTOCHECKPOINT = 1000;
const WORKER = new URL('./checkpoint-worker.js', import.meta.url);
/** A stop waits for the worker's current checkpoint; past this it is terminated instead. */
const STOP_GRACE_MS = 5_000;

/** Where storage reports trouble it recovered from; the host passes its pino logger. */
export interface StorageLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CheckpointerOptions {
  /** How often the worker looks at the WAL, in ms (250). */
  intervalMs?: number;
  /** WAL file size in bytes past which the host is asked to rewind it (32 MB); it is trimmed to an eighth. */
  rewindBytes?: number;
  /** How long the worker's checkpoint waits on a lock, in ms (50). */
  busyTimeoutMs?: number;
  /**
   * Runs a PASSIVE checkpoint on the host connection between two of its transactions (the host
   * queues it behind its own work): the next write then rewinds the WAL. Without it the file grows.
   */
  rewind?: () => Promise<void>;
  /** Defaults to process warnings. */
  log?: StorageLog;
  /** The worker's code; tests swap in one that fails. */
  workerUrl?: URL;
}

/** What the worker is started with (its `workerData`). */
export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
  rewindBytes: number;
  busyTimeoutMs: number;
}
export type ToCheckpointWorker = { type: 'stop' };
export type FromCheckpointWorker =
  | { type: 'ready' }
  | { type: 'rewind'; walBytes: number }
  | { type: 'starved'; walBytes: number };

/** `worker` while the thread checkpoints; `inline` once it failed and commits checkpoint as SQLite's default. */
export type CheckpointerState = 'starting' | 'worker' | 'inline' | 'stopped';

/**
 * The handle on one database's checkpoint worker.
 * @example const cp = startCheckpointer(sqlite, file, { log }); ...; await cp.stop(); sqlite.close();
 */
export interface Checkpointer {
  readonly state: CheckpointerState;
  /** Resolves true once the worker took over, false if it never did (it failed, or was stopped first). */
  readonly ready: Promise<boolean>;
  /** Ends the worker, waiting for its thread to exit; the connection checkpoints inline afterwards. */
  stop(): Promise<void>;
}

const processWarnings: StorageLog = {
  warn: (obj, msg) => process.emitWarning(msg, { code: 'TANDEM_STORAGE', detail: inspect(obj) }),
  error: (obj, msg) => process.emitWarning(msg, { code: 'TANDEM_STORAGE', detail: inspect(obj) }),
};

/**
 * Starts a worker with its own connection to `file` (WAL lets it run beside the host's) that
 * checkpoints every `intervalMs`. The host connection's autocheckpoint is switched off only once the
 * worker is up, and back on if the worker fails or dies: checkpoints never stop, at worst they run
 * inline again.
 */
export function startCheckpointer(
  connection: SqliteConnection,
  file: string,
  options: CheckpointerOptions = {},
): Checkpointer {
  const log = options.log ?? processWarnings;
  const workerData: CheckpointWorkerData = {
    file,
    intervalMs: options.intervalMs ?? 250,
    rewindBytes: options.rewindBytes ?? 32 * 1024 * 1024,
    busyTimeoutMs: options.busyTimeoutMs ?? 50,
  };
  // A rewound WAL is trimmed to this at the next commit, so the file stays small between rewinds.
  connection.pragma(`journal_size_limit = ${Math.floor(workerData.rewindBytes / 8)}`);
  let rewinding = false;
  const rewind = () => {
    if (rewinding || !options.rewind) return;
    rewinding = true;
    options
      .rewind()
      .catch((err: unknown) => log.warn({ err, file }, 'WAL rewind checkpoint failed'))
      .finally(() => {
        rewinding = false;
      });
  };
  let state: CheckpointerState = 'starting';
  let stopping = false;
  let markReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    markReady = resolve;
  });
  // Called from worker events: a throw there would be an uncaught exception that ends the host.
  const autocheckpoint = (pages: number) => {
    try {
      if (connection.open) connection.pragma(`wal_autocheckpoint = ${pages}`);
    } catch (err) {
      log.error({ err, file, pages }, 'setting wal_autocheckpoint failed');
    }
  };
  const goInline = (detail: object) => {
    if (stopping || state === 'inline') return;
    state = 'inline';
    markReady(false);
    autocheckpoint(INLINE_AUTOCHECKPOINT);
    log.error({ ...detail, file }, 'WAL checkpoint worker failed; commits checkpoint inline again');
  };

  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  try {
    // execArgv [] so the worker does not inherit `--import tsx` (or a profiler): its code is plain JS.
    const w = new Worker(options.workerUrl ?? WORKER, { workerData, execArgv: [] });
    // A forgotten stop() must not keep the process alive; the host's server does that.
    w.unref();
    w.on('message', (msg: FromCheckpointWorker) => {
      if (msg.type === 'ready' && state === 'starting' && !stopping) {
        autocheckpoint(0);
        state = 'worker';
        markReady(true);
      } else if (msg.type === 'rewind' && state === 'worker' && !stopping) {
        rewind();
      } else if (msg.type === 'starved') {
        log.warn(
          { walBytes: msg.walBytes, file },
          'WAL checkpoint starved: readers keep the WAL from resetting',
        );
      }
    });
    w.on('error', (err) => goInline({ err }));
    exited = new Promise((resolve) => {
      w.once('exit', (exitCode) => {
        goInline({ exitCode });
        resolve();
      });
    });
    worker = w;
  } catch (err) {
    goInline({ err });
  }

  return {
    get state() {
      return state;
    },
    ready,
    stop: async () => {
      if (!stopping) {
        stopping = true;
        markReady(false);
        autocheckpoint(INLINE_AUTOCHECKPOINT);
        worker?.postMessage({ type: 'stop' } satisfies ToCheckpointWorker);
      }
      const timer = setTimeout(() => void worker?.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      state = 'stopped';
    },
  };
}
