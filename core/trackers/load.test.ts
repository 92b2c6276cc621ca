// Loading trackers (load.ts, tracker-options.ts, tracker-shape.ts): built-in names, files and packages, the options
// file, the returned shape, and the stable code of each failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/schema.ts';
import { createLogger } from '../log.ts';
import { isPathName, loadTracker } from './load.ts';
import { readTrackerOptions } from './tracker-options.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-load-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const context = { db: {} as Db, log: createLogger('test', 'silent'), dataDir: dir, env: {} };
const code = (code: string, message?: RegExp) =>
  expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });

/** A module whose createTracker returns a tracker with every required member but `without`. */
const moduleWithout = (without: string) =>
  write(
    `without-${without}.mjs`,
    `const fn = async () => undefined;
     const members = { id: 'stub', entityTypes: [], get: fn, getMany: fn, list: fn, changes: fn, head: fn,
       write: fn, create: fn, update: fn, delete: fn, addComment: fn };
     delete members[${JSON.stringify(without)}];
     export const createTracker = () => members;`,
  );

describe('loadTracker', () => {
  it('tells file paths from package names', () => {
    expect(['./x.ts', '../x', '/abs/x.js', 'x.mjs', 'C:\\t\\x'].every(isPathName)).toBe(true);
    expect(['tandem-jira', '@acme/tandem-tracker'].some(isPathName)).toBe(false);
  });

  it('refuses the connectors that have no tracker yet, naming the option', async () => {
    await expect(loadTracker({ name: 'jira', configFile: undefined }, dir)).rejects.toThrow(
      code('TRACKER_NOT_AVAILABLE', /--tracker.*jira.*not available in this version/),
    );
  });

  it('loads the ServiceNow connector, which names the variable it lacks', async () => {
    const loaded = await loadTracker({ name: 'servicenow', configFile: undefined }, dir);
    await expect(loaded.build(context)).rejects.toThrow(
      code('TRACKER_CONFIG_INVALID', /servicenow.*TANDEM_SERVICENOW_URL must be/),
    );
  });

  it('refuses a missing file, a missing package and a name that is neither', async () => {
    await expect(loadTracker({ name: './nowhere.ts', configFile: undefined }, dir)).rejects.toThrow(
      code('TRACKER_NOT_FOUND', /no file at .*nowhere\.ts/),
    );
    await expect(
      loadTracker({ name: 'tandem-tracker-not-installed', configFile: undefined }, dir),
    ).rejects.toThrow(code('TRACKER_NOT_FOUND', /no such package/));
    await expect(loadTracker({ name: 'no such thing!', configFile: undefined }, dir)).rejects.toThrow(
      code('TRACKER_NOT_FOUND'),
    );
  });

  it('refuses a module without createTracker, and one that fails to load', async () => {
    const none = write('none.mjs', 'export const somethingElse = 1;');
    await expect(loadTracker({ name: none, configFile: undefined }, dir)).rejects.toThrow(
      code('TRACKER_INVALID', /does not export a createTracker/),
    );
    const broken = write('broken.mjs', 'throw new Error("boom at load");');
    await expect(loadTracker({ name: broken, configFile: undefined }, dir)).rejects.toThrow(
      code('TRACKER_INVALID', /could not be loaded: boom at load/),
    );
  });

  it('names the first member a returned tracker lacks', async () => {
    for (const member of ['write', 'head', 'entityTypes', 'id']) {
      const loaded = await loadTracker({ name: moduleWithout(member), configFile: undefined }, dir);
      await expect(loaded.build(context)).rejects.toThrow(
        code('TRACKER_INVALID', new RegExp(`has no ${member}`)),
      );
    }
    const odd = write(
      'odd-type.mjs',
      `const fn = async () => undefined;
       export const createTracker = () => ({ id: 'odd', entityTypes: ['incident', 'ticket'], get: fn, getMany: fn,
         list: fn, changes: fn, head: fn, write: fn, create: fn, update: fn, delete: fn, addComment: fn });`,
    );
    await expect(
      (await loadTracker({ name: odd, configFile: undefined }, dir)).build(context),
    ).rejects.toThrow(code('TRACKER_INVALID', /offers the entity type "ticket"/));
    const complete = await loadTracker({ name: moduleWithout('nothing'), configFile: undefined }, dir);
    expect((await complete.build(context)).id).toBe('stub');
  });

  it("keeps a plugin's TandemError and turns any other throw into tracker_config_invalid", async () => {
    const own = write(
      'own-error.mjs',
      `export function createTracker(options) {
         const e = new Error('tables.incident must be a table name');
         e.name = 'TandemError'; e.code = 'TRACKER_CONFIG_INVALID'; e.extra = { option: 'tables.incident' };
         throw e;
       }`,
    );
    const loaded = await loadTracker({ name: own, configFile: undefined }, dir);
    await expect(loaded.build(context)).rejects.toThrow(
      expect.objectContaining({
        code: 'TRACKER_CONFIG_INVALID',
        message: `Tracker "${own}": tables.incident must be a table name`,
        extra: { option: 'tables.incident' },
      }),
    );
    const plain = write(
      'plain-error.mjs',
      `export function createTracker() { throw new TypeError('no url'); }`,
    );
    await expect(
      (await loadTracker({ name: plain, configFile: undefined }, dir)).build(context),
    ).rejects.toThrow(code('TRACKER_CONFIG_INVALID', /could not be configured: no url/));
  });

  it('hands createTracker the parsed options and the context', async () => {
    const echo = write(
      'echo.mjs',
      `export const seen = [];
       export async function createTracker(options, context) {
         const fn = async () => undefined;
         seen.push({ options, dataDir: context.dataDir, env: Object.keys(context.env) });
         return { id: 'echo', entityTypes: ['incident'], get: fn, getMany: fn, list: fn, changes: fn, head: fn,
           write: fn, create: fn, update: fn, delete: fn, addComment: fn };
       }`,
    );
    const config = write('echo.json', '{"tables": {"incident": "u_incident"}}');
    const loaded = await loadTracker({ name: path.basename(echo), configFile: path.basename(config) }, dir);
    await loaded.build({
      ...context,
      env: { X: 'from env', TANDEM_ADMIN_TOKEN: 't', TANDEM_METRICS_TOKEN: 'm' },
    });
    const { seen } = (await import(echo)) as { seen: unknown[] };
    expect(seen).toEqual([{ options: { tables: { incident: 'u_incident' } }, dataDir: dir, env: ['X'] }]);
  });

  it("reads a module's credentials and builds it with the stored ones under the environment's", async () => {
    const creds = write(
      'creds.mjs',
      `export const seen = [];
       export const credentials = [
         { name: 'TANDEM_ACME_USER', label: 'User', secret: false },
         { name: 'TANDEM_ACME_PASSWORD', label: 'Password', secret: true, hint: 'The API password' },
       ];
       export async function createTracker(options, context) {
         const fn = async () => undefined;
         seen.push({ user: context.env.TANDEM_ACME_USER, password: context.env.TANDEM_ACME_PASSWORD,
           other: context.env.TANDEM_OTHER });
         return { id: 'creds', entityTypes: ['incident'], get: fn, getMany: fn, list: fn, changes: fn, head: fn,
           write: fn, create: fn, update: fn, delete: fn, addComment: fn };
       }`,
    );
    const loaded = await loadTracker({ name: creds, configFile: undefined }, dir);
    expect(loaded.credentials.map((c) => [c.name, c.secret])).toEqual([
      ['TANDEM_ACME_USER', false],
      ['TANDEM_ACME_PASSWORD', true],
    ]);
    const stored = { TANDEM_ACME_USER: 'stored-user', TANDEM_ACME_PASSWORD: 'stored-pw', TANDEM_OTHER: 'x' };
    // The environment's user wins; an empty variable counts as unset; an undeclared stored name is left out.
    await loaded.build({
      ...context,
      env: { TANDEM_ACME_USER: 'env-user', TANDEM_ACME_PASSWORD: '' },
      storedCredentials: stored,
    });
    const { seen } = (await import(creds)) as { seen: unknown[] };
    expect(seen).toEqual([{ user: 'env-user', password: 'stored-pw', other: undefined }]);

    for (const [exported, problem] of [
      ['{}', /are not a list/],
      ["[{ name: 'lower', label: 'x', secret: true }]", /no variable name/],
      ["[{ name: 'TANDEM_X', label: '', secret: true }]", /no label for TANDEM_X/],
      ["[{ name: 'TANDEM_X', label: 'X' }]", /whether TANDEM_X is secret/],
      [
        "[{ name: 'TANDEM_X', label: 'X', secret: true }, { name: 'TANDEM_X', label: 'Y', secret: true }]",
        /twice/,
      ],
    ] as const) {
      const bad = write(
        `bad-creds-${Math.random().toString(36).slice(2)}.mjs`,
        `export const credentials = ${exported}; export const createTracker = () => ({});`,
      );
      await expect(loadTracker({ name: bad, configFile: undefined }, dir)).rejects.toThrow(
        code('TRACKER_INVALID', problem),
      );
    }
  });

  it('builds the builtin tracker, which takes no options', async () => {
    const options = write('builtin.json', '{"password": "hunter2-builtin"}');
    await expect(
      loadTracker({ name: 'builtin', configFile: options }, dir).then((l) => l.build(context)),
    ).rejects.toThrow(code('TRACKER_CONFIG_INVALID', /^Tracker "builtin": password must be absent/));
  });
});

describe('readTrackerOptions', () => {
  it('is {} without a file', async () => {
    expect(await readTrackerOptions(undefined, dir)).toEqual({});
  });

  it('names the file and the problem, never its contents', async () => {
    const secret = 'sn-password-7f3a9c';
    await expect(readTrackerOptions('missing.json', dir)).rejects.toThrow(
      code('TRACKER_CONFIG_INVALID', /missing\.json cannot be read: no such file/),
    );
    for (const text of [
      `{"password": "${secret}" x}`,
      `{"password": "${secret}",}`,
      `{"a": 1,\n "password": ${secret}}`,
    ]) {
      const file = write('bad.json', text);
      const err = (await readTrackerOptions(file, dir).catch((e: unknown) => e)) as Error & { code: string };
      expect(err.code).toBe('TRACKER_CONFIG_INVALID');
      expect(err.message).toContain(`${file} is not valid JSON`);
      expect(err.message).not.toContain(secret);
    }
    await expect(readTrackerOptions(write('list.json', '[1, 2]'), dir)).rejects.toThrow(
      code('TRACKER_CONFIG_INVALID', /must hold a JSON object/),
    );
    await expect(
      readTrackerOptions(write('deep.json', `${'{"a":'.repeat(80)}1${'}'.repeat(80)}`), dir),
    ).rejects.toThrow(code('TRACKER_CONFIG_INVALID', /nested more than/));
  });
});
