// Starts real `tandem start` processes for tests: port 0, own temp data dir, ended by `stop()`; on the run's
// engine (TANDEM_TEST_DATABASE): under postgres each data dir gets its own fresh database, dropped with the dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FreshPostgres, freshPostgres, TEST_DIALECT } from './test-postgres.ts';

const BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

export interface HostProcess {
  url: string;
  token: string;
  dataDir: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM (or the given signal) and waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Authenticated fetch against the admin API, JSON in and out. */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface StartOptions {
  dataDir?: string;
  name?: string;
  publicUrl?: string;
  token?: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
}

const tempDirs = new Set<string>();

/** A fresh temp directory, removed by `stopAllHosts()`. */
export function tempDir(prefix = 'tandem-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

const running = new Set<HostProcess>();

/**
 * The database of each data dir a host ran on under postgres: a restart on the same dir finds its data
 * again, as it would in the SQLite file. Dropped by `stopAllHosts()` with the dirs.
 */
const databases = new Map<string, FreshPostgres>();

/** The `TANDEM_DATABASE_URL` a host on `dataDir` runs with under postgres (created on first use); none on SQLite. */
export async function databaseFor(dataDir: string): Promise<Record<string, string>> {
  if (TEST_DIALECT !== 'postgres') return {};
  let fresh = databases.get(dataDir);
  if (!fresh) {
    fresh = await freshPostgres();
    databases.set(dataDir, fresh);
  }
  return { TANDEM_DATABASE_URL: fresh.url };
}

export async function startHostProcess(opts: StartOptions = {}): Promise<HostProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const token = opts.token ?? `test-token-${randomBytes(16).toString('hex')}`;
  const args = [BIN, 'start', '--data', dataDir, '--port', String(opts.port ?? 0), ...(opts.args ?? [])];
  if (opts.name) args.push('--name', opts.name);
  if (opts.publicUrl) args.push('--public-url', opts.publicUrl);
  // A test that names its own database (or passes --database) keeps it.
  const chosen = opts.env?.TANDEM_DATABASE_URL !== undefined || args.includes('--database');
  const database = chosen ? {} : await databaseFor(dataDir);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, TANDEM_ADMIN_TOKEN: token, TANDEM_LOG_LEVEL: 'warn', ...database, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A first start on PostgreSQL creates the schema over the network: slower on a loaded machine.
    const startMs = TEST_DIALECT === 'postgres' ? 45_000 : 20_000;
    const timer = setTimeout(() => reject(new Error(`host did not start in time:\n${out}\n${err}`)), startMs);
    const onData = () => {
      const m = /Tandem listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
  const host: HostProcess = {
    url,
    token,
    dataDir,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      running.delete(host);
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async api<T>(method: string, route: string, body?: unknown) {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
  running.add(host);
  return host;
}

/** Ends every host a test file started and did not stop, and removes its temp dirs and databases (call from afterAll). */
export async function stopAllHosts(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop('SIGKILL')));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  const fresh = [...databases.values()];
  databases.clear();
  for (const d of fresh) await d.drop();
}

/** Drops the database a host ran on with `dataDir` (under postgres), for tests that clean up without `stopAllHosts()`. */
export async function dropDatabaseOf(dataDir: string): Promise<void> {
  const fresh = databases.get(dataDir);
  databases.delete(dataDir);
  await fresh?.drop();
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
