// The WAL checkpoint worker on a real SQLite file: it checkpoints, keeps the WAL small, stops, and fails safe.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StorageLog } from './checkpointer.ts';
import { type OpenDatabaseOptions, type OpenedDatabase, openDatabase } from './database.ts';
import type { Db } from './schema.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-checkpointer-'));
const open: OpenedDatabase[] = [];
const ROWS = 6000; // ~6 MB of WAL: past SQLite's 1000-page autocheckpoint, so inline checkpoints would run
const VALUE = 'x'.repeat(1000);
const FAST = { intervalMs: 25 };

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

async function openIn(dir: string, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const opened = await openDatabase(dir, options);
  open.push(opened);
  return opened;
}

function freshDir(): { dir: string; file: string; wal: string } {
  const dir = fs.mkdtempSync(path.join(root, 'db-'));
  const file = path.join(dir, 'tandem.db');
  return { dir, file, wal: `${file}-wal` };
}

/**
 * Commits `n` rows of ~1 KB, 200 per transaction, as many small commits would. Each transaction reads
 * before it writes, as the host's do: a checkpoint that took the write lock would fail it at once.
 */
async function fill(db: Db, prefix: string, n = ROWS): Promise<void> {
  for (let i = 0; i < n; i += 200) {
    await db.transaction().execute(async (tx) => {
      await tx.selectFrom('settings').select('key').limit(1).execute();
      const rows = [];
      for (let j = i; j < Math.min(n, i + 200); j++) rows.push({ key: `${prefix}-${j}`, value: VALUE });
      for (let k = 0; k < rows.length; k += 100)
        await tx
          .insertInto('settings')
          .values(rows.slice(k, k + 100))
          .execute();
    });
  }
}

async function autocheckpointOf(db: Db): Promise<number> {
  const { rows } = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db);
  return rows[0]!.wal_autocheckpoint;
}

/** Rows with `prefix` in a copy of the db file without its WAL: what checkpoints have copied so far. */
function rowsInDbFileAlone(file: string, prefix: string): number {
  const dir = fs.mkdtempSync(path.join(root, 'copy-'));
  try {
    const copy = path.join(dir, 'copy.db');
    fs.copyFileSync(file, copy);
    const db = new SQLite(copy);
    try {
      const row = db.prepare('SELECT count(*) AS n FROM settings WHERE key LIKE ?').get(`${prefix}-%`) as {
        n: number;
      };
      return row.n;
    } finally {
      db.close();
    }
  } catch {
    return -1; // copied mid-checkpoint, or before the first one created the table
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function walBytes(wal: string): number {
  return fs.statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function collectingLog() {
  const entries: { level: 'warn' | 'error'; obj: Record<string, unknown>; msg: string }[] = [];
  const log: StorageLog = {
    warn: (obj, msg) => entries.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  return { log, entries };
}

/**
 * The worker's "readers keep the WAL from resetting" report. Whether a busy host shows it depends on
 * where the worker's ticks fall between the host's transactions (each reads before it writes, so it is
 * a reader too): on a loaded machine it may come during any long burst of commits. Only the test that
 * holds a reader on purpose asserts it; the others assert there is nothing else.
 */
const isStarvationReport = (e: { level: string; msg: string }) =>
  e.level === 'warn' && e.msg.startsWith('WAL checkpoint starved');

/**
 * A worker that takes over and then dies, as a crash in the real one would end its thread: it dies
 * once `signal` exists, so the test decides when, not a timer racing a loaded machine.
 */
function dyingWorker(signal: string): URL {
  return new URL(
    `data:text/javascript,${encodeURIComponent(
      "import fs from 'node:fs'; import { parentPort } from 'node:worker_threads';" +
        "parentPort.postMessage({ type: 'ready' });" +
        `setInterval(() => { if (fs.existsSync(${JSON.stringify(signal)})) process.exit(3); }, 10);`,
    )}`,
  );
}
const FAILING_WORKER = new URL(`data:text/javascript,${encodeURIComponent("throw new Error('no worker');")}`);

describe('WAL checkpoint worker', () => {
  it('checkpoints off the host connection: autocheckpoint off, yet the db file alone gets every row', async () => {
    const { dir, file } = freshDir();
    const { db, checkpointer } = await openIn(dir, { checkpoints: FAST });
    expect(await checkpointer?.ready).toBe(true);
    expect(checkpointer?.state).toBe('worker');
    expect(await autocheckpointOf(db)).toBe(0);
    await fill(db, 'a');
    // Inline autocheckpoints would leave the commits since the last one (up to 4 MB) in the WAL only.
    await waitFor('the last commits in the db file', () => rowsInDbFileAlone(file, 'a') === ROWS);
  });

  it('has the host rewind a WAL past the limit between its transactions, so the file stays small while it commits', async () => {
    const { dir, wal } = freshDir();
    const { log, entries } = collectingLog();
    const limit = 512 * 1024;
    const { db, checkpointer } = await openIn(dir, { log, checkpoints: { ...FAST, rewindBytes: limit } });
    expect(await checkpointer?.ready).toBe(true);
    // Commits all the time (a busy host): SQLite alone never sees a moment to rewind, so without the
    // host's rewind the WAL only grows (by ~200 KB a round).
    let last = 0;
    let rewound = false;
    for (let round = 0; round < 200 && !rewound; round++) {
      await fill(db, `r${round}`, 200);
      const now = walBytes(wal);
      rewound = now < last;
      last = now;
      await new Promise((resolve) => setImmediate(resolve)); // the worker's messages get their turn
    }
    expect(rewound).toBe(true);
    expect(last).toBeLessThanOrEqual(limit / 8 + 256 * 1024); // trimmed, then one round written
    // No failed rewind and no error; a starvation report during the burst is a diagnostic, not a fault.
    expect(entries.filter((e) => !isStarvationReport(e))).toEqual([]);
  });

  it('reports a reader that keeps the WAL from being checkpointed, and rewinds once it lets go', async () => {
    const { dir, file, wal } = freshDir();
    const { log, entries } = collectingLog();
    const limit = 1024 * 1024;
    const { db, checkpointer } = await openIn(dir, {
      log,
      checkpoints: { ...FAST, rewindBytes: limit, busyTimeoutMs: 10 },
    });
    expect(await checkpointer?.ready).toBe(true);
    // A reader holding an old snapshot keeps every later frame in the WAL: it cannot be rewound.
    const reader = new SQLite(file);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM settings').get();
      await fill(db, 'b', 3000);
      expect(walBytes(wal)).toBeGreaterThan(limit);
      await waitFor('a starvation report', () => entries.some(isStarvationReport));
      expect(entries.find(isStarvationReport)).toMatchObject({ obj: { walBytes: expect.any(Number), file } });
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }
    await waitFor('the db file to have every row', () => rowsInDbFileAlone(file, 'b') === 3000);
    // The host's next write after the rewind checkpoint starts the WAL over, trimmed to an eighth of the limit.
    // Bounded by time, not by a count of rounds: a loaded machine may need more of them.
    const deadline = Date.now() + 10_000;
    for (let i = 0; walBytes(wal) > limit / 8 && Date.now() < deadline; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await fill(db, `b-more-${i}`, 1);
    }
    expect(walBytes(wal)).toBeLessThanOrEqual(limit / 8);
    expect(entries.filter((e) => !isStarvationReport(e))).toEqual([]);
  });

  it('close() ends the worker before the host connection, and every row is there after reopening', async () => {
    const { dir, file, wal } = freshDir();
    const first = await openDatabase(dir, { checkpoints: FAST });
    expect(await first.checkpointer?.ready).toBe(true);
    await fill(first.db, 'c');
    await first.close();
    expect(first.checkpointer?.state).toBe('stopped');
    // A clean close folds the WAL into the db file and deletes it.
    expect(fs.existsSync(wal)).toBe(false);
    expect(rowsInDbFileAlone(file, 'c')).toBe(ROWS);

    const again = await openIn(dir, { checkpoints: FAST });
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM settings WHERE key LIKE 'c-%'`.execute(again.db);
    expect(rows[0]?.n).toBe(ROWS);
    const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(again.db);
    expect(check.rows).toEqual([{ integrity_check: 'ok' }]);
  });

  it('falls back to inline checkpoints when the worker cannot start', async () => {
    const { dir, file } = freshDir();
    const { log, entries } = collectingLog();
    const { db, checkpointer } = await openIn(dir, {
      log,
      checkpoints: { ...FAST, workerUrl: FAILING_WORKER },
    });
    expect(await checkpointer?.ready).toBe(false);
    expect(checkpointer?.state).toBe('inline');
    expect(await autocheckpointOf(db)).toBe(1000);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: 'error', obj: { file } });
    expect(String(entries[0]?.obj.err)).toContain('no worker');
    await fill(db, 'd');
    // SQLite checkpointed inside the commits: most rows reached the db file with no worker at all.
    expect(rowsInDbFileAlone(file, 'd')).toBeGreaterThan(0);
  });

  it('falls back to inline checkpoints when a running worker dies, without throwing', async () => {
    const { dir } = freshDir();
    const { log, entries } = collectingLog();
    const { db, checkpointer } = await openIn(dir, {
      log,
      checkpoints: { ...FAST, workerUrl: dyingWorker(path.join(dir, 'die-now')) },
    });
    expect(await checkpointer?.ready).toBe(true);
    expect(await autocheckpointOf(db)).toBe(0);
    fs.writeFileSync(path.join(dir, 'die-now'), '');
    await waitFor('the worker to die', () => checkpointer?.state === 'inline');
    expect(await autocheckpointOf(db)).toBe(1000);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'error', obj: expect.objectContaining({ exitCode: 3 }) }),
    ]);
    await fill(db, 'e', 1000);
  });
});
