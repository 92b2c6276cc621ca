// The opt-in SQL profile (TANDEM_SQL_PROFILE through the host's config), in a child process: it reports at exit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DATABASE = pathToFileURL(path.resolve(import.meta.dirname, 'database.ts')).href;
const CONFIG = pathToFileURL(path.resolve(import.meta.dirname, '../core/config.ts')).href;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function runWith(env: Record<string, string>, dir: string) {
  const script = `
    const { openDatabase } = await import(${JSON.stringify(DATABASE)});
    const { resolveConfig } = await import(${JSON.stringify(CONFIG)});
    const { sqlProfileDir } = resolveConfig([], process.env).storage;
    const d = await openDatabase(${JSON.stringify(path.join(dir, 'data'))}, { sqlProfileDir });
    for (let i = 0; i < 300; i++) await d.db.transaction().execute((tx) => tx.selectFrom('settings').selectAll().execute());
    await d.close();`;
  return spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('SQL profile', () => {
  it('writes each statement with its calls and time at exit when asked, and nothing otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sqlprof-'));
    dirs.push(dir);
    const profiled = runWith({ TANDEM_SQL_PROFILE: dir }, dir);
    expect(profiled.status, profiled.stderr).toBe(0);
    const files = fs.readdirSync(dir).filter((f) => /^sql-\d+\.txt$/.test(f));
    expect(files).toHaveLength(1);
    const text = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    // Often enough to rank among the 60 costliest statements beside every migration's DDL.
    expect(text).toMatch(/ms +300 x +[\d.]+ µs {2}select \* from "settings"/);

    const plain = runWith({}, dir);
    expect(plain.status, plain.stderr).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('sql-'))).toHaveLength(1);
  });
});
