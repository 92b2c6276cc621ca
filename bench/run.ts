// `npm run bench`: installs the reference peers on first use, runs both references and Tandem on the
// same payloads, and writes bench/results.json and bench/results.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './child.ts';
import { POSTGRES_OPTIONS, runPostgres } from './postgres.ts';
import { runPouchReference } from './ref-pouch.ts';
import { runRawReference } from './ref-raw.ts';
import { type BenchResults, writeResults } from './report.ts';
import { runServiceNow } from './servicenow.ts';
import { runTandem } from './tandem.ts';

const BENCH = path.join(ROOT, 'bench');
const WORK = path.join(BENCH, '.work');

export const OPTIONS = {
  records: Number(process.env.BENCH_RECORDS ?? 10_000),
  rate: Number(process.env.BENCH_RATE ?? 100),
  latencySamples: Number(process.env.BENCH_LATENCY_SAMPLES ?? 500),
  idleConnections: Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000),
};

function ensureDeps(): void {
  if (fs.existsSync(path.join(BENCH, 'node_modules', 'express-pouchdb'))) return;
  process.stderr.write('bench: installing the reference peers into bench/node_modules (first run only)\n');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: BENCH,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('bench: npm install in bench/ failed');
}

/** The last recorded results, whose figures a partial run (BENCH_ONLY) keeps. */
function previousResults(): Partial<BenchResults> {
  try {
    return JSON.parse(fs.readFileSync(path.join(BENCH, 'results.json'), 'utf8')) as Partial<BenchResults>;
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const only = new Set((process.env.BENCH_ONLY ?? 'raw,pouch,tandem,servicenow,postgres').split(','));
  if (only.has('raw') || only.has('pouch')) ensureDeps();
  fs.mkdirSync(WORK, { recursive: true });
  const started = Date.now();
  const log = (s: string) =>
    process.stderr.write(`bench: ${s} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);

  log('raw baseline (ws + better-sqlite3)');
  const raw = only.has('raw') ? await runRawReference(WORK, OPTIONS) : undefined;
  log('PouchDB reference (pouchdb-node + express-pouchdb)');
  const pouch = only.has('pouch') ? await runPouchReference(WORK, OPTIONS) : undefined;
  log('Tandem (two host processes)');
  const tandem = only.has('tandem') ? await runTandem(WORK, OPTIONS, log) : undefined;
  log('ServiceNow (a ServiceNow-backed host and a built-in host through the fake instance)');
  const servicenow = only.has('servicenow') ? await runServiceNow(WORK, OPTIONS, log) : undefined;
  log('PostgreSQL (one sender on SQLite, on PostgreSQL, two processes on PostgreSQL; many connections)');
  const postgres = only.has('postgres') ? await runPostgres(WORK, POSTGRES_OPTIONS(OPTIONS), log) : undefined;
  log('done');

  const machine = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown'}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
  };
  // A partial run keeps the other figures of the last recorded run (their date and options with them).
  const before = previousResults();
  const others = Boolean(raw || pouch || tandem);
  writeResults(BENCH, {
    at: others || !before.at ? new Date().toISOString() : before.at,
    machine: others || !before.machine ? machine : before.machine,
    options: others || !before.options ? OPTIONS : before.options,
    raw: raw ?? (others ? undefined : before.raw),
    pouch: pouch ?? (others ? undefined : before.pouch),
    tandem: tandem ?? (others ? undefined : before.tandem),
    servicenow: servicenow ?? before.servicenow,
    postgres: postgres ?? before.postgres,
  });
  fs.rmSync(WORK, { recursive: true, force: true });
}

await main();
