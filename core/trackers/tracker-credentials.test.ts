// Tracker credentials entered through the API: sealed at rest, the environment winning, handed to the running
// tracker (or waiting for a restart), refused values changing nothing, another process's save picked up.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DIALECT, type TestDatabase, testDatabase } from '../../tests/support/test-database.ts';
import { TandemError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createSecretBox } from '../secrets/secret-box.ts';
import { createCredentialStore } from './credential-store.ts';
import { createMemoryTracker } from './memory/memory-tracker.ts';
import type { Tracker, TrackerCredential } from './tracker.ts';
import { createTrackerCredentials } from './tracker-credentials.ts';

const DECLARED: TrackerCredential[] = [
  { name: 'TANDEM_ACME_USER', label: 'User', secret: false },
  { name: 'TANDEM_ACME_PASSWORD', label: 'Password', secret: true },
  { name: 'TANDEM_ACME_REGION', label: 'Region', secret: false },
];
const PASSWORD = 'Acme-Pass-51c0ffee';
const log = createLogger('test', 'silent');

/** A tracker whose `reconfigure` records what it was given and refuses a user without a password. */
function reconfigurable() {
  const given: Array<Readonly<Record<string, string | undefined>>> = [];
  const tracker: Tracker = {
    ...createMemoryTracker(),
    reconfigure(values) {
      if (values.TANDEM_ACME_USER && !values.TANDEM_ACME_PASSWORD)
        throw new TandemError(
          'TRACKER_CONFIG_INVALID',
          400,
          'TANDEM_ACME_PASSWORD must be set with the user',
          {
            option: 'TANDEM_ACME_PASSWORD',
          },
        );
      given.push(values);
    },
  };
  return { tracker, given };
}

describe.each([TEST_DIALECT])('tracker credentials on %s', (dialect) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await testDatabase(dialect);
  });
  afterEach(async () => database.close());

  const box = createSecretBox(randomBytes(32));
  const setUp = async (tracker: Tracker, env: Record<string, string> = {}, key = box) => {
    const store = createCredentialStore(database.db, key);
    return createTrackerCredentials({
      store,
      tracker,
      source: { declared: DECLARED, env },
      initial: await store.read(),
      log,
      refreshMs: 20,
    });
  };
  const row = async () =>
    (
      await database.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'tracker.credentials')
        .executeTakeFirst()
    )?.value;

  it('stores values sealed, hands the tracker the environment first, and never shows a value', async () => {
    const { tracker, given } = reconfigurable();
    const creds = await setUp(tracker, { TANDEM_ACME_REGION: 'eu', TANDEM_ACME_USER: '' });
    expect((await creds.view()).credentials.map((c) => [c.name, c.set, c.source, c.stored])).toEqual([
      ['TANDEM_ACME_USER', false, null, false],
      ['TANDEM_ACME_PASSWORD', false, null, false],
      ['TANDEM_ACME_REGION', true, 'environment', false],
    ]);

    const done = await creds.change(
      { TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD, TANDEM_ACME_REGION: 'us' },
      'ana@example.com',
    );
    expect(done).toEqual({
      set: ['TANDEM_ACME_USER', 'TANDEM_ACME_PASSWORD', 'TANDEM_ACME_REGION'],
      cleared: [],
    });
    // The environment's region wins over the one entered.
    expect(given.at(-1)).toEqual({
      TANDEM_ACME_USER: 'sync',
      TANDEM_ACME_PASSWORD: PASSWORD,
      TANDEM_ACME_REGION: 'eu',
    });
    const view = await creds.view();
    expect(view).toMatchObject({
      live: true,
      restartRequired: false,
      unreadable: false,
      updatedBy: 'ana@example.com',
    });
    expect(view.credentials.map((c) => [c.name, c.set, c.source, c.stored])).toEqual([
      ['TANDEM_ACME_USER', true, 'console', true],
      ['TANDEM_ACME_PASSWORD', true, 'console', true],
      ['TANDEM_ACME_REGION', true, 'environment', true],
    ]);
    expect(JSON.stringify(view)).not.toContain(PASSWORD);
    const stored = await row();
    expect(stored).toContain('TANDEM_ACME_PASSWORD');
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain('sync');

    // Names left out keep their values; null clears one.
    await creds.change({ TANDEM_ACME_REGION: null }, 'bo@example.com');
    expect(given.at(-1)).toMatchObject({ TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD });
    expect((await creds.view()).credentials.find((c) => c.name === 'TANDEM_ACME_REGION')).toMatchObject({
      source: 'environment',
      stored: false,
    });

    expect(await creds.clear('ana@example.com')).toEqual({
      set: [],
      cleared: ['TANDEM_ACME_PASSWORD', 'TANDEM_ACME_USER'],
    });
    expect(await row()).toBeUndefined();
    expect(given.at(-1)).toEqual({
      TANDEM_ACME_USER: undefined,
      TANDEM_ACME_PASSWORD: undefined,
      TANDEM_ACME_REGION: 'eu',
    });
  });

  it('refuses an unknown name, and values the tracker refuses, changing nothing', async () => {
    const { tracker, given } = reconfigurable();
    const creds = await setUp(tracker);
    await expect(creds.change({ TANDEM_OTHER: 'x' }, 'a')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      extra: {
        errors: [{ path: 'values.TANDEM_OTHER', message: expect.stringMatching(/TANDEM_ACME_USER/) }],
      },
    });
    await expect(creds.change({ TANDEM_ACME_USER: 'sync' }, 'a')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      extra: { errors: [{ path: 'values.TANDEM_ACME_PASSWORD' }] },
    });
    expect(given).toEqual([]);
    expect(await row()).toBeUndefined();
  });

  it('without reconfigure: saved for the next start, and the view says a restart is needed', async () => {
    const creds = await setUp(createMemoryTracker());
    await creds.change({ TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD }, 'a');
    expect(await creds.view()).toMatchObject({ live: false, restartRequired: true });
    // The next start is built with them: nothing to restart for.
    expect(await (await setUp(createMemoryTracker())).view()).toMatchObject({ restartRequired: false });
  });

  it('says when stored values were sealed under another key, and takes new ones in their place', async () => {
    await (await setUp(reconfigurable().tracker)).change(
      { TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD },
      'a',
    );
    const { tracker, given } = reconfigurable();
    const other = await setUp(tracker, {}, createSecretBox(randomBytes(32)));
    const view = await other.view();
    expect(view.unreadable).toBe(true);
    expect(view.credentials.map((c) => [c.set, c.stored])).toEqual([
      [false, true],
      [false, true],
      [false, false],
    ]);
    await other.change({ TANDEM_ACME_PASSWORD: 'new-pass' }, 'a');
    expect(given.at(-1)).toMatchObject({ TANDEM_ACME_USER: undefined, TANDEM_ACME_PASSWORD: 'new-pass' });
    expect((await other.view()).unreadable).toBe(false);
  });

  it("applies another process's save on refresh", async () => {
    const one = reconfigurable();
    const two = reconfigurable();
    const first = await setUp(one.tracker);
    const second = await setUp(two.tracker);
    await first.change({ TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD }, 'a');
    await first.refresh();
    expect(one.given).toHaveLength(1);
    await second.refresh();
    expect(two.given).toEqual([
      { TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: PASSWORD, TANDEM_ACME_REGION: undefined },
    ]);
    await second.refresh();
    expect(two.given).toHaveLength(1);

    // Started, a process looks by itself.
    second.start();
    try {
      await first.change({ TANDEM_ACME_PASSWORD: 'rotated' }, 'a');
      await expect.poll(() => two.given.at(-1)?.TANDEM_ACME_PASSWORD).toBe('rotated');
    } finally {
      second.stop();
    }
  });
});
