// Sync between real host processes: a link cut mid-batch, concurrent edits, a failing entity, a deactivated connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllHosts, waitFor } from './support/host-process.ts';
import { waitConn } from './support/pairing-support.ts';
import {
  bySummary,
  COUNTING_INCOMING,
  COUNTING_OUTGOING,
  createEntity,
  type Entity,
  expectAppliedOnce,
  getEntity,
  lastQueued,
  openErrors,
  patchEntity,
  publishRules,
  queue,
  remoteIdOf,
  type SyncError,
  type SyncPair,
  syncAllIncidents,
  syncPair,
  untilApplied,
  untilOpenError,
  untilQueued,
  upTo,
  writeRound,
} from './support/sync.ts';

/**
 * Script mode, B dialling A through a TCP proxy; A sends the counter `n` of every incident and B records each
 * one it applies. Shared by the tests below but the Basic one; each uses its own incidents and leaves the
 * connection active with nothing queued.
 */
let counting: SyncPair;
let basic: SyncPair | undefined;

beforeAll(async () => {
  counting = await syncPair({ proxy: true });
  await publishRules(counting.a, counting.aConn, { outgoing: COUNTING_OUTGOING });
  await publishRules(counting.b, counting.bConn, { incoming: COUNTING_INCOMING });
  await syncAllIncidents(counting.a, counting.aConn);
});
afterAll(async () => {
  await Promise.all([counting?.proxy?.close(), basic?.proxy?.close()]);
  await stopAllHosts();
});

/** B's copy of A's incident named `summary`, once `pred` holds for it. */
function onB(pair: SyncPair, summary: string, pred: (e: Entity) => boolean = () => true): Promise<Entity> {
  return waitFor(async () => {
    const e = (await bySummary(pair.b)).get(summary);
    return e && pred(e) ? e : undefined;
  }, 15_000) as Promise<Entity>;
}

const seenIs = (n: number[]) => (e: Entity) => JSON.stringify(e.fields.seen) === JSON.stringify(n);

describe('the link cut through a TCP proxy', () => {
  it('reconnects by itself after every socket is destroyed mid-batch or with acks lost, and every change arrives exactly once', async () => {
    const pair = counting;
    const names = Array.from({ length: 20 }, (_, i) => `cut ${i}`);
    const ids: string[] = [];
    const rounds = 15;
    const cuts: number[] = [];
    for (let n = 1; n <= rounds; n++) {
      const cutNow = n % 3 === 0;
      // Once, B's acks are held in the proxy before the cut: A sends again what B already applied.
      const acksLost = n === 9;
      if (cutNow) await waitConn(pair.b, pair.bConn, (c) => c.link.up, 15_000);
      if (acksLost) pair.proxy!.holdFromDialer();
      // 2 KB of description per replica: a round is a frame of some 40 KB, still on its way when cut.
      await writeRound(pair.a, ids, names, n, { description: 'x'.repeat(2000) });
      if (acksLost) await untilApplied(pair, names, n);
      if (cutNow) cuts.push(pair.proxy!.cut());
      await untilQueued(pair.a, ids, n);
    }
    expect(cuts).toHaveLength(5);
    for (const cut of cuts) expect(cut).toBeGreaterThan(0); // a live link was there to cut each time
    await expectAppliedOnce(pair, names, rounds);
    expect(pair.proxy!.accepted()).toBeGreaterThan(cuts.length); // it redialled after each cut
  });
});

describe('both sides editing the same entity (Basic mode, per-field last writer wins)', () => {
  it('converges on both sides, keeps edits of different fields, and settles with no echo loop', async () => {
    basic = await syncPair({ mode: 'basic', proxy: true });
    const pair = basic;
    await syncAllIncidents(pair.a, pair.aConn);
    const mine = await createEntity(pair.a, { summary: 'shared', status: 'new', priority: 3 });
    const theirs = await onB(pair, 'shared');
    await waitFor(async () => (await remoteIdOf(pair.a, mine.id)) === theirs.id);

    const same = async () => {
      const [x, y] = await Promise.all([getEntity(pair.a, mine.id), getEntity(pair.b, theirs.id)]);
      return JSON.stringify(x.fields) === JSON.stringify(y.fields) ? { x, y } : undefined;
    };
    const settled = async () => {
      await waitFor(same, 15_000);
      await waitFor(async () => {
        const [qa, qb, ia, ib] = await Promise.all([
          queue(pair.a, pair.aConn, 'out'),
          queue(pair.b, pair.bConn, 'out'),
          queue(pair.a, pair.aConn, 'in'),
          queue(pair.b, pair.bConn, 'in'),
        ]);
        return qa.length + qb.length + ia.length + ib.length === 0;
      }, 15_000);
      const final = await same();
      expect(final, 'both sides still agree once nothing is queued').toBeDefined();
      return final!;
    };

    // 1. Apart: the proxy refuses the link while each side edits the same field and one field of its own.
    pair.proxy!.block(true);
    await waitConn(pair.a, pair.aConn, (c) => !c.link.up);
    await waitConn(pair.b, pair.bConn, (c) => !c.link.up);
    await patchEntity(pair.a, mine.id, { summary: 'from A', status: 'in_progress' });
    await waitFor(async () => (await queue(pair.a, pair.aConn, 'out')).length === 1);
    await patchEntity(pair.b, theirs.id, { summary: 'from B', priority: 1 });
    await waitFor(async () => (await queue(pair.b, pair.bConn, 'out')).length === 1);
    pair.proxy!.block(false);
    const apart = await settled();
    expect(apart.x.fields).toMatchObject({ status: 'in_progress', priority: 1 });
    expect(['from A', 'from B']).toContain(apart.x.fields.summary);

    // 2. Together: both sides write the same field at the same moment, several times over a live link.
    for (let i = 0; i < 5; i++) {
      await Promise.all([
        patchEntity(pair.a, mine.id, { summary: `A ${i}`, description: `A ${i}` }),
        patchEntity(pair.b, theirs.id, { summary: `B ${i}`, priority: 2 + (i % 3) }),
      ]);
    }
    const together = await settled();
    expect(together.x.fields.description).toBe('A 4');
    expect(together.x.fields.priority).toBe(3); // B's last write, 2 + (4 % 3)
    expect(['A 4', 'B 4']).toContain(together.x.fields.summary);

    // No echo loop: another change travels there and back, and the shared entity has not moved meanwhile.
    const versions = [together.x.version, together.y.version];
    const probe = await createEntity(pair.a, { summary: 'probe' });
    const probeThere = await onB(pair, 'probe');
    await patchEntity(pair.b, probeThere.id, { status: 'done' });
    await waitFor(async () => (await getEntity(pair.a, probe.id)).fields.status === 'done', 15_000);
    const after = await settled();
    expect([after.x.version, after.y.version]).toEqual(versions);
  });
});

describe('a failing entity', () => {
  // Line 2 throws for the poisoned incident; line 3 for a replica whose description asks to be refused.
  const FAILING = `const poisoned = replica.summary.startsWith('poison');
if (poisoned) throw new Error('refused ' + replica.summary);
if (replica.description === 'refuse me') throw new Error('refused on request');
${COUNTING_INCOMING}`;

  it('does not hold back the others; its later changes wait; retry after a fix applies them, resolve skips one', async () => {
    const pair = counting;
    await publishRules(pair.b, pair.bConn, { incoming: FAILING });
    const good1 = await createEntity(pair.a, { summary: 'good 1', n: 1 });
    const bad = await createEntity(pair.a, { summary: 'poison', n: 1 });
    const good2 = await createEntity(pair.a, { summary: 'good 2', n: 1 });
    await onB(pair, 'good 1');
    await onB(pair, 'good 2');
    const err = await untilOpenError(pair.b, pair.bConn);
    expect(err).toMatchObject({
      level: 'entity',
      direction: 'in',
      remoteId: bad.id,
      script: 'incoming',
      scriptLine: 2,
      status: 'open',
    } satisfies Partial<SyncError>);
    expect(err.message).toContain('refused poison');

    // Its later change waits behind the failed event, while a later change of another entity goes through.
    await patchEntity(pair.a, bad.id, { n: 2 });
    await untilQueued(pair.a, [bad.id], 2);
    await patchEntity(pair.a, good1.id, { n: 2 });
    await onB(pair, 'good 1', seenIs([1, 2]));
    const held = (await queue(pair.b, pair.bConn, 'in')).filter((q) => q.remoteId === bad.id);
    expect(held.map((q) => q.status)).toEqual(['failed', 'pending']);
    expect((await bySummary(pair.b)).has('poison')).toBe(false);
    expect(await openErrors(pair.b, pair.bConn)).toHaveLength(1);

    // Fixed rule, retry: both held events apply, once each, in order.
    await publishRules(pair.b, pair.bConn, { incoming: FAILING.replace('if (poisoned) ', '// ') });
    const retried = await pair.b.api<SyncError>('POST', `/api/errors/${err.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('resolved');
    await onB(pair, 'poison', seenIs([1, 2]));

    // Resolve skips the failed event only: the next one applies.
    await patchEntity(pair.a, good2.id, { n: 2, description: 'refuse me' });
    const err2 = await untilOpenError(pair.b, pair.bConn);
    expect(err2).toMatchObject({
      remoteId: good2.id,
      scriptLine: 3,
      message: expect.stringContaining('refused on request'),
    });
    await patchEntity(pair.a, good2.id, { n: 3, description: 'fine' });
    await waitFor(async () => (await queue(pair.b, pair.bConn, 'in')).length === 2);
    expect((await bySummary(pair.b)).get('good 2')!.fields.seen).toEqual([1]);
    const resolved = await pair.b.api<SyncError>('POST', `/api/errors/${err2.id}/resolve`);
    expect(resolved.body.status).toBe('resolved');
    await onB(pair, 'good 2', seenIs([1, 3]));
    expect((await bySummary(pair.b)).get('good 2')!.fields.description).toBe('fine');
    await waitFor(async () => (await queue(pair.b, pair.bConn, 'in')).length === 0);
    expect(await openErrors(pair.b, pair.bConn)).toEqual([]);
    expect(
      (
        await pair.b.api<{ items: SyncError[] }>(
          'GET',
          `/api/errors?connectionId=${pair.bConn}&status=resolved`,
        )
      ).body.items,
    ).toHaveLength(2);
    await publishRules(pair.b, pair.bConn, { incoming: COUNTING_INCOMING });
  });
});

describe('a deactivated connection', () => {
  it('keeps queueing on both sides and catches up, exactly once, when activated again', async () => {
    const pair = counting;
    const names = Array.from({ length: 5 }, (_, i) => `paused ${i}`);
    const ids: string[] = [];
    for (let n = 1; n <= 2; n++) {
      await writeRound(pair.a, ids, names, n);
      await untilQueued(pair.a, ids, n);
    }
    for (const name of names) await onB(pair, name, seenIs([1, 2]));

    const off = await pair.a.api('POST', `/api/connections/${pair.aConn}/deactivate`);
    expect(off.status).toBe(200);
    await waitConn(pair.b, pair.bConn, (c) => c.state === 'deactivated'); // the peer follows
    for (let n = 3; n <= 6; n++) {
      await writeRound(pair.a, ids, names, n);
      await untilQueued(pair.a, ids, n);
    }
    const twinOnB = (await bySummary(pair.b)).get(names[0]!)!;
    await patchEntity(pair.b, twinOnB.id, { status: 'in_progress' });
    await waitFor(async () => (await lastQueued(pair.b, twinOnB.id))?.status === 'in_progress');
    expect(await queue(pair.a, pair.aConn, 'out')).toHaveLength(names.length * 4);
    expect(await queue(pair.b, pair.bConn, 'out')).toHaveLength(1);
    const atB = await bySummary(pair.b);
    for (const name of names) expect(atB.get(name)!.fields.seen).toEqual(upTo(2));
    expect((await getEntity(pair.a, ids[0]!)).fields.status).not.toBe('in_progress');

    const on = await pair.b.api('POST', `/api/connections/${pair.bConn}/activate`);
    expect(on.status).toBe(200);
    await waitConn(pair.a, pair.aConn, (c) => c.state === 'active');
    await expectAppliedOnce(pair, names, 6);
    await waitFor(async () => (await getEntity(pair.a, ids[0]!)).fields.status === 'in_progress');
    await waitFor(async () => (await queue(pair.b, pair.bConn, 'out')).length === 0);
  });
});
