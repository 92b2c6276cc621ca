// The statement cache on a real SQLite file: statements are reused, the least recently used evicted,
// and a cached statement still reads right after the schema changes under it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from './statement-cache.ts';

const dirs: string[] = [];
function open() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-stmt-'));
  dirs.push(dir);
  return new SQLite(path.join(dir, 'test.db'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('statement cache', () => {
  it('prepares each SQL text once and evicts the least recently used', () => {
    const raw = open();
    const db = withStatementCache(raw, 2);
    const a = db.prepare('select 1 as x');
    expect(db.prepare('select 1 as x')).toBe(a);
    const b = db.prepare('select 2 as x');
    db.prepare('select 1 as x'); // a is now the most recently used
    db.prepare('select 3 as x'); // evicts b
    expect(db.prepare('select 1 as x')).toBe(a);
    expect(db.prepare('select 2 as x')).not.toBe(b);
    expect(db.prepare('select 2 as x').all([])).toEqual([{ x: 2 }]);
    db.close();
    expect(raw.open).toBe(false);
  });

  it('keeps answering right after the schema changes under a cached statement', () => {
    const db = withStatementCache(open());
    db.prepare('create table t (a integer)').run([]);
    db.prepare('insert into t (a) values (?)').run([1]);
    const select = db.prepare('select * from t');
    expect(select.all([])).toEqual([{ a: 1 }]);
    db.prepare('alter table t add column b text').run([]);
    db.prepare('insert into t (a, b) values (?, ?)').run([2, 'two']);
    expect(db.prepare('select * from t').all([])).toEqual([
      { a: 1, b: null },
      { a: 2, b: 'two' },
    ]);
    db.close();
  });
});
