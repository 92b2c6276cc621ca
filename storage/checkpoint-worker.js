// Worker thread that checkpoints the host database's WAL on its own connection (see checkpointer.ts).
// Plain JavaScript on purpose: on Node 20 the tsx hooks registered in the host thread do not reach a
// worker, and loading tsx again here would cost ~200 ms and an esbuild per host for ~60 lines.
// @ts-check
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

/** @type {import('./checkpointer.ts').CheckpointWorkerData} */
const { file, intervalMs, restartBytes, busyTimeoutMs } = workerData;
const walFile = `${file}-wal`;
/** Run a checkpoint at least this often even when the WAL looks unchanged (coarse mtime filesystems). */
const FORCE_EVERY_TICKS = 20;
/** At most one starvation report a minute: the host log is not a metrics feed. */
const STARVED_REPORT_MS = 60_000;

const db = new SQLite(file, { fileMustExist: true });
// The checkpoint copies pages into the db file and fsyncs it: that sync is what makes the copy
// durable, so this connection needs FULL like the host's. busy_timeout only matters for TRUNCATE,
// which holds the write lock while it waits: keep it short so host commits stall briefly at most.
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
  let result = checkpoint('PASSIVE');
  // SQLite rewinds the WAL only when no reader still needs it, and never shrinks the file. A WAL
  // past the limit means readers kept it from rewinding (or one huge commit grew it): TRUNCATE
  // waits briefly for them and resets the file to zero bytes.
  if (stat.size > restartBytes) {
    result = checkpoint('TRUNCATE');
    const now = Date.now();
    if (result.busy && now - lastStarvedReport >= STARVED_REPORT_MS) {
      lastStarvedReport = now;
      parentPort?.postMessage({ type: 'starved', walBytes: stat.size });
    }
  }
  settled = result.busy === 0 && result.log === result.checkpointed ? stamp : '';
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
