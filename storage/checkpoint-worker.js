// Worker thread that checkpoints the host database's WAL on its own connection (see checkpointer.ts).
// Plain JavaScript on purpose: on Node 20 the tsx hooks registered in the host thread do not reach a
// worker, and loading tsx again here would cost ~200 ms and an esbuild per host for ~60 lines.
// @ts-check
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

/** @type {import('./checkpointer.ts').CheckpointWorkerData} */
const { file, intervalMs, rewindBytes, busyTimeoutMs } = workerData;
const walFile = `${file}-wal`;
/** Run a checkpoint at least this often even when the WAL looks unchanged (coarse mtime filesystems). */
const FORCE_EVERY_TICKS = 20;
/** At most one starvation report a minute: the host log is not a metrics feed. */
const STARVED_REPORT_MS = 60_000;

const db = new SQLite(file, { fileMustExist: true });
// The checkpoint copies pages into the db file and fsyncs it: that sync is what makes the copy
// durable, so this connection needs FULL like the host's. Only PASSIVE checkpoints run here: the
// other modes take the write lock, and a host transaction that read before writing then fails with
// SQLITE_BUSY at once (SQLite does not wait on a lock upgrade that could deadlock).
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
if (db.pragma('journal_mode', { simple: true }) !== 'wal') {
  throw new Error(`${file} is not in WAL mode: nothing to checkpoint`);
}

/** size:mtime of the WAL when a checkpoint last left nothing behind: unchanged means no commit since. */
let settled = '';
let quietTicks = 0;
let lastStarvedReport = 0;

/** @param {string} mode @returns {{ busy: number, log: number, checkpointed: number }} */
function checkpoint(mode) {
  const [row] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (
    db.pragma(`wal_checkpoint(${mode})`)
  );
  if (!row) throw new Error(`wal_checkpoint(${mode}) returned no row`);
  return row;
}

function tick() {
  /** @type {fs.Stats | undefined} */
  const stat = fs.statSync(walFile, { throwIfNoEntry: false });
  if (!stat || stat.size === 0) return;
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  if (stamp === settled && ++quietTicks < FORCE_EVERY_TICKS) return;
  quietTicks = 0;
  // PASSIVE copies what it can without waiting on anyone, so it never blocks the host's commits.
  const result = checkpoint('PASSIVE');
  const caughtUp = result.busy === 0 && result.log === result.checkpointed;
  if (stat.size > rewindBytes) {
    if (caughtUp) {
      // SQLite rewinds the WAL when a write starts with every frame checkpointed, which a host that
      // commits all the time never shows this thread: the host checkpoints the last few frames
      // itself between two transactions, and its next write rewinds (and trims) the file.
      parentPort?.postMessage({ type: 'rewind', walBytes: stat.size });
    } else if (Date.now() - lastStarvedReport >= STARVED_REPORT_MS) {
      lastStarvedReport = Date.now();
      parentPort?.postMessage({ type: 'starved', walBytes: stat.size });
    }
  }
  settled = caughtUp ? stamp : '';
}

// A failing checkpoint (I/O error, disk full) throws out of the timer and ends this thread: the
// host logs the error and checkpoints inline again, so a broken worker never stops commits.
const timer = setInterval(tick, intervalMs);
parentPort?.on('message', (/** @type {import('./checkpointer.ts').ToCheckpointWorker} */ msg) => {
  if (msg.type !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
parentPort?.postMessage({ type: 'ready' });
