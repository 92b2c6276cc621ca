// The entity types the engine tells a tracker to follow: active triggers on following connections, and twins.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type InProcessHost, inProcessHost, insertConnection } from '../../../tests/support/in-process.ts';
import { manualClock } from '../../../tests/support/manual-clock.ts';
import { createLogger } from '../../log.ts';
import type { FollowedType, Tracker } from '../../trackers/tracker.ts';
import { createTrigger, updateTrigger } from '../triggers.ts';
import { saveTwins } from '../twins.ts';
import { createFollowedTypes, FOLLOW_REFRESH_MS, followedTypes } from './followed-types.ts';

let host: InProcessHost;
beforeEach(async () => {
  host = await inProcessHost();
});
afterEach(async () => host.close());

const db = () => host.services.db;
const OFFERED = ['incident', 'problem', 'change'] as const;

describe('followed types', () => {
  it('are the types of active triggers on following connections and of twins, each since its need began', async () => {
    await insertConnection(db(), 'c1', 'script');
    await insertConnection(db(), 'c2', 'script');
    await db().updateTable('connections').set({ state: 'validated' }).where('id', '=', 'c2').execute();
    expect(await followedTypes(db(), OFFERED)).toEqual([]);

    const t = await createTrigger(db(), 'c1', { entityType: 'incident', query: 'type = "x"', active: true });
    await createTrigger(db(), 'c1', { entityType: 'change', query: 'type = "x"', active: false });
    await createTrigger(db(), 'c2', { entityType: 'change', query: 'type = "x"', active: true }); // c2 does not follow yet
    await createTrigger(db(), 'c1', { entityType: 'user', query: 'type = "x"', active: true }); // not offered
    const [incident] = await followedTypes(db(), OFFERED);
    expect(incident?.type).toBe('incident');
    expect(incident!.since >= t.updated_at).toBe(true);

    await saveTwins(db(), 'c1', [{ localId: 'p1', set: { entity_type: 'problem', status: 'synced' } }]);
    const made = (await db().selectFrom('sync_twins').select('created_at').executeTakeFirstOrThrow())
      .created_at;
    expect(await followedTypes(db(), OFFERED)).toEqual([
      { type: 'incident', since: incident!.since },
      { type: 'problem', since: made },
    ]);

    // A trigger switched off no longer counts; a twin made before types were recorded needs every type.
    await updateTrigger(db(), t.id, { active: false });
    await saveTwins(db(), 'c1', [{ localId: 'old', set: { status: 'synced' } }]);
    expect((await followedTypes(db(), OFFERED)).map((f) => f.type)).toEqual([
      'change',
      'incident',
      'problem',
    ]);
  });

  it('are told to a tracker that can follow only when they change, and not looked up for one that cannot', async () => {
    await insertConnection(db(), 'c1', 'script');
    const follow = vi.fn<(types: readonly FollowedType[]) => void>();
    const clock = manualClock();
    const log = createLogger('test', 'silent');
    const following = createFollowedTypes({
      db: db(),
      tracker: { ...host.services.tracker, entityTypes: OFFERED, follow } as Tracker,
      clock,
      log,
    });
    await following.refresh();
    expect(follow).toHaveBeenCalledWith([]);
    await createTrigger(db(), 'c1', { entityType: 'problem', query: 'type = "x"', active: true });
    await following.refresh(); // not due yet, and not told of a change
    expect(follow).toHaveBeenCalledTimes(1);
    clock.advance(FOLLOW_REFRESH_MS); // due: looked at again
    await following.refresh();
    expect(follow).toHaveBeenCalledTimes(2);
    await createTrigger(db(), 'c1', { entityType: 'change', query: 'type = "x"', active: true });
    following.changed();
    await following.refresh();
    expect(follow).toHaveBeenLastCalledWith([
      { type: 'change', since: expect.any(String) },
      { type: 'problem', since: expect.any(String) },
    ]);
    following.changed();
    await following.refresh(); // the same types: not told again
    expect(follow).toHaveBeenCalledTimes(3);

    const select = vi.spyOn(db(), 'selectFrom');
    const without = createFollowedTypes({ db: db(), tracker: host.services.tracker, clock, log });
    await without.refresh();
    expect(select).not.toHaveBeenCalled();
  });
});
