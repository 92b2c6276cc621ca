// Prepared queries on a real SQLite file: compiled once, right values each time, inside transactions too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedDatabase, openDatabase } from './database.ts';
import { columnsOf, perShape, prepared } from './prepared.ts';

let dir: string;
let opened: OpenedDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-prepared-'));
  opened = await openDatabase(dir);
});
afterAll(async () => {
  await opened.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('prepared queries', () => {
  it('compile once and bind each call’s values in their places, constants kept', async () => {
    let builds = 0;
    const put = prepared((db, key: string, value: string) => {
      builds++;
      return db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }));
    });
    const read = prepared((db, key: string) =>
      db
        .selectFrom('settings')
        .select(['key', 'value'])
        .where('key', '=', key)
        .where('value', '!=', 'hidden'),
    );
    await put(opened.db, 'a', '1');
    await opened.db.transaction().execute(async (tx) => {
      await put(tx, 'b', '2');
      await put(tx, 'a', '3');
    });
    await put(opened.db, 'c', 'hidden');
    expect(builds).toBe(1);
    expect(await read(opened.db, 'a')).toEqual([{ key: 'a', value: '3' }]);
    expect(await read(opened.db, 'b')).toEqual([{ key: 'b', value: '2' }]);
    expect(await read(opened.db, 'c')).toEqual([]); // the constant 'hidden' stayed a constant
  });

  it('build one query per shape: the same columns in any order share one', () => {
    let builds = 0;
    const of = perShape((cols: string[]) => {
      builds++;
      return cols.join('+');
    });
    expect(columnsOf({ b: 1, a: 2, c: undefined })).toEqual(['a', 'b']);
    expect(of(columnsOf({ b: 1, a: 2 }))).toBe('a+b');
    expect(of(columnsOf({ a: 3, b: 4 }))).toBe('a+b');
    expect(of(columnsOf({ a: 3 }))).toBe('a');
    expect(builds).toBe(2);
  });
});
