// Containment on a clock the test moves: a failing connection is held with backoff, tried again, released.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessHost, inProcessHost, insertConnection } from '../../../tests/support/in-process.ts';
import { manualClock } from '../../../tests/support/manual-clock.ts';
import { syncConnection } from '../connections-view.ts';
import { createHolds, HELD_CAUSE } from './holds.ts';

let host: InProcessHost;
beforeEach(async () => {
  host = await inProcessHost({ config: { log: { level: 'silent' } } });
  await insertConnection(host.services.db, 'c1', 'script');
});
afterEach(() => host.close());

const open = () =>
  host.services.db
    .selectFrom('sync_errors')
    .select(['level', 'connection_id', 'message'])
    .where('status', '=', 'open')
    .execute();

describe('holds', () => {
  it('holds a failing connection for 1 s, then 2 s, and release it (closing its error) once its work succeeds', async () => {
    const clock = manualClock();
    const holds = createHolds({ db: host.services.db, log: host.services.log, clock });
    const conn = (await syncConnection(host.services.db, 'c1'))!;
    const fail = () => Promise.reject(new Error('runner exploded'));

    await holds.contained(conn, fail);
    expect(holds.isHeld('c1')).toBe(true);
    expect(await open()).toEqual([
      {
        level: 'connection',
        connection_id: 'c1',
        message: `${HELD_CAUSE} runner exploded. It is tried again in 1 s, or now on retry.`,
      },
    ]);
    clock.advance(999);
    expect(holds.isHeld('c1')).toBe(true);
    clock.advance(2);
    expect(holds.isHeld('c1')).toBe(false);

    await holds.contained(conn, fail); // the second failure in a row waits twice as long
    expect((await open()).at(-1)?.message).toContain('tried again in 2 s');
    clock.advance(1500);
    expect(holds.isHeld('c1')).toBe(true);
    holds.retryNow('c1');
    expect(holds.isHeld('c1')).toBe(false);

    await holds.contained(conn, fail);
    await holds.contained(conn, async () => {}); // a step that works releases it and closes its errors
    expect(holds.isHeld('c1')).toBe(false);
    expect(await open()).toEqual([]);
  });
});
