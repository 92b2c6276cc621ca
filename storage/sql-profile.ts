// Development aid: time spent in each SQL statement, written to a file when the process exits.
// Off unless the host is given a directory (storage.sqlProfileDir, TANDEM_SQL_PROFILE; the bench's BENCH_PROFILE sets it).
import fs from 'node:fs';
import path from 'node:path';
import type { SqliteStatement } from 'kysely';

// Enough that a run's own statements show beside the one-off migration DDL of a fresh database.
const TOP = 200;
const totals = new Map<string, { calls: number; ns: bigint }>();

let reportDir: string | undefined;

function report(): void {
  const rows = [...totals]
    .sort((a, b) => Number(b[1].ns - a[1].ns))
    .slice(0, TOP)
    .map(([sql, t]) => {
      const ms = (Number(t.ns) / 1e6).toFixed(0).padStart(7);
      const each = (Number(t.ns) / 1e3 / t.calls).toFixed(1).padStart(8);
      return `${ms} ms ${String(t.calls).padStart(7)} x ${each} µs  ${sql}`;
    });
  fs.writeFileSync(path.join(reportDir!, `sql-${process.pid}.txt`), `${rows.join('\n')}\n`);
}

/** Starts profiling into `dir` (one report per process, written at exit); the first directory given wins. */
export function startSqlProfile(dir: string): void {
  if (reportDir) return;
  reportDir = dir;
  process.on('exit', report);
}

/** The statement itself, or (when profiling) one whose runs add their time to the statement's total. */
export function profiled(sql: string, statement: SqliteStatement): SqliteStatement {
  if (!reportDir) return statement;
  const key = sql.replace(/\s+/g, ' ').slice(0, 160);
  const timed =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      const started = process.hrtime.bigint();
      try {
        return fn(...args);
      } finally {
        const t = totals.get(key) ?? { calls: 0, ns: 0n };
        t.calls++;
        t.ns += process.hrtime.bigint() - started;
        totals.set(key, t);
      }
    };
  return {
    get reader() {
      return statement.reader;
    },
    all: timed((params) => statement.all(params)),
    run: timed((params) => statement.run(params)),
    iterate: (params) => statement.iterate(params),
  };
}
