// Outcomes travelling back, end to end in one process: two engines, the real sandbox, an in-memory link.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { engineSide, type MemoryLink, memoryLink, type Side } from '../../tests/support/engine-pair.ts';
import { waitFor } from '../../tests/support/host-process.ts';
import type { LinkFrame } from '../link/link-hub.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram, Sandbox } from '../sandbox/sandbox.ts';
import { errorsJson, listErrors } from './error-list.ts';
import { runReport, runReportCsv } from './run-report.ts';
import { getRun } from './runs.ts';
import { createTrigger } from './triggers.ts';
import { twinStatuses } from './twin-status.ts';

const DEFAULTS = scriptMode.defaults();
const program = (incoming = DEFAULTS.incoming): RuleProgram => ({
  version: `v-${incoming.length}`,
  outgoing: DEFAULTS.outgoing,
  incoming,
});
/** B's incoming rule: throws on a replica whose summary starts with `poison` (line 1). */
const POISONED = `if (replica.summary.startsWith('poison')) throw new Error('refused ' + replica.summary);\n${DEFAULTS.incoming}`;

let sandbox: ManagedSandbox;
let link: MemoryLink;
let A: Side;
let B: Side;

beforeEach(() => {
  sandbox = createSandbox({ timeoutMs: 1000 });
});
afterEach(async () => {
  link?.set(false);
  for (const s of [A, B]) {
    await s?.engine.stop();
    await s?.host.close();
  }
  await sandbox.close();
});

async function setup(
  opts: { trackerB?: 'builtin' | 'memory'; runChunk?: number; sandboxA?: Sandbox; incomingB?: string } = {},
) {
  link = memoryLink('ca', 'cb');
  const common = { mode: 'script' as const, program: program() };
  A = await engineSide({
    ...common,
    conn: 'ca',
    hub: link.a,
    nodeId: 'node-a',
    tracker: 'builtin',
    sandbox: () => opts.sandboxA ?? sandbox,
    engine: opts.runChunk ? { runChunk: opts.runChunk } : {},
  });
  B = await engineSide({
    ...common,
    program: program(opts.incomingB),
    conn: 'cb',
    hub: link.b,
    nodeId: 'node-b',
    tracker: opts.trackerB ?? 'builtin',
    sandbox: () => sandbox,
  });
  link.set(true);
}

/** Both engines have nothing left to do (settling one can hand the other a frame: again until quiet). */
async function settled() {
  for (;;) {
    const sent = link.a.sent.length + link.b.sent.length;
    await Promise.all([A.engine.settled(), B.engine.settled()]);
    if (link.a.sent.length + link.b.sent.length === sent) return;
  }
}

const create = (s: Side, summary: string) =>
  s.host.services.tracker.create({ type: 'incident', fields: { summary } }, { origin: 'local' });

async function incidents(s: Side, names: string[]) {
  const out = [];
  for (const n of names) out.push(await create(s, n));
  return out;
}

const run = async (s: Side, id: string) => (await getRun(s.host.services.db, id))!;

async function errors(s: Side, side: 'here' | 'peer', status: 'open' | 'resolved' = 'open') {
  const { db, tracker } = s.host.services;
  const { rows } = await listErrors(db, { side, status, limit: 100, offset: 0 });
  return errorsJson(db, tracker, rows);
}

async function statuses(s: Side, ids: string[]) {
  const twins = await s.host.services.db
    .selectFrom('sync_twins')
    .select(['local_id', 'remote_id'])
    .where('local_id', 'in', ids)
    .execute();
  const map = await twinStatuses(
    s.host.services.db,
    s.conn,
    twins.map((t) => ({ localId: t.local_id, remoteId: t.remote_id })),
  );
  return ids.map((id) => map.get(id));
}

const outgoingLog = (s: Side) =>
  s.host.services.db
    .selectFrom('sync_event_log')
    .selectAll()
    .where('direction', '=', 'out')
    .orderBy('seq')
    .execute();

for (const trackerB of ['builtin', 'memory'] as const)
  describe(`a bulk run whose events fail at the peer (peer on the ${trackerB} tracker)`, () => {
    it('counts what the peer applied, lists its errors here, says error_at_peer, and follows its retry', async () => {
      await setup({ trackerB, incomingB: POISONED });
      // An inactive trigger: a bulk sync sends what it matches now all the same.
      const trigger = await createTrigger(A.host.services.db, 'ca', {
        entityType: 'incident',
        query: 'priority != 5',
        active: false,
      });
      const names = ['one', 'poison two', 'three', 'four', 'poison five', 'six', 'seven'];
      const made = await incidents(A, names);
      const poisoned = made.filter((e) => e.fields.summary.startsWith('poison'));
      const fine = made.filter((e) => !poisoned.includes(e));
      const runId = await A.engine.bulkSync(trigger.id);
      await settled();

      // Both sides tell the same story: 5 created at B, 2 failed there.
      expect(await run(A, runId)).toMatchObject({
        status: 'finished',
        total: 7,
        processed: 7,
        pending: 0,
        created: 5,
        updated: 0,
        errors: 2,
      });
      expect((await run(A, runId)).finished_at).not.toBeNull();
      expect(await errors(B, 'here')).toHaveLength(2);
      expect((await B.host.services.tracker.list({ limit: 50 })).items).toHaveLength(5);
      const atPeer = await errors(A, 'peer');
      expect(atPeer.map((e) => e.entityId).sort()).toEqual(poisoned.map((e) => e.id).sort());
      expect(atPeer[0]).toMatchObject({
        side: 'peer',
        level: 'entity',
        direction: 'out',
        connectionId: 'ca',
        attempts: 1,
        status: 'open',
        scriptLine: 1,
      });
      expect(atPeer.map((e) => e.entityKey).sort()).toEqual(poisoned.map((e) => e.key).sort());
      expect(atPeer[0]!.message).toContain('refused poison');
      expect(
        await statuses(
          A,
          poisoned.map((e) => e.id),
        ),
      ).toEqual(['error_at_peer', 'error_at_peer']);
      expect(
        await statuses(
          A,
          fine.map((e) => e.id),
        ),
      ).toEqual(fine.map(() => 'synced'));
      const csv = runReportCsv(runId, await runReport(A.host.services.db, runId), 'errors');
      expect(csv.trim().split('\r\n').slice(1)).toHaveLength(2);
      expect(csv).toContain('refused poison two');

      // Fixed at B and retried there: every view here follows.
      B.rules.program = program();
      const retried = await B.engine.retryErrors({ connectionId: 'cb' }, 'ops@b.example');
      expect(retried).toMatchObject({ matched: 2, resolved: 2, open: 0, atPeer: 0 });
      await settled();
      expect(await run(A, runId)).toMatchObject({ status: 'finished', created: 7, errors: 0, pending: 0 });
      expect(await errors(A, 'peer')).toEqual([]);
      const resolved = await errors(A, 'peer', 'resolved');
      expect(resolved.map((e) => [e.resolvedBy, e.resolution])).toEqual([
        ['partner: ops@b.example', 'retried'],
        ['partner: ops@b.example', 'retried'],
      ]);
      expect(
        await statuses(
          A,
          made.map((e) => e.id),
        ),
      ).toEqual(made.map(() => 'synced'));
      expect((await outgoingLog(A)).map((r) => [r.outcome, r.action])).toEqual(
        made.map(() => ['applied', 'created']),
      );
    });
  });

describe('an error retried or resolved at the peer', () => {
  it('counts a failed retry on the same error, on both sides; a resolve there resolves it here as skipped', async () => {
    await setup({ incomingB: POISONED });
    const [bad] = await incidents(A, ['poison']);
    const runId = await A.engine.syncEntities('ca', [bad!.id]);
    await settled();
    const [first] = await errors(B, 'here');
    const again = await B.engine.retryError(first!.id, 'ops@b.example');
    expect(again).toMatchObject({ id: first!.id, status: 'open', attempts: 2 });
    expect(await errors(B, 'here')).toHaveLength(1);
    await settled();
    expect(await errors(A, 'peer')).toMatchObject([{ attempts: 2, status: 'open' }]);
    expect(await run(A, runId)).toMatchObject({ status: 'finished', errors: 1 });

    // A later change of it waits at B behind the failed one: no outcome for it yet.
    await A.host.services.tracker.update(bad!.id, { summary: 'cured' }, { origin: 'local' });
    await settled();
    expect((await outgoingLog(A)).map((r) => r.outcome)).toEqual(['failed', 'pending']);
    expect(await statuses(A, [bad!.id])).toEqual(['error_at_peer']);

    // Resolved at B: the failed change is skipped, the held one applies, and A hears of both.
    await B.engine.resolveError(first!.id, 'ops@b.example');
    await settled();
    expect(await errors(A, 'peer', 'resolved')).toMatchObject([
      { resolvedBy: 'partner: ops@b.example', resolution: 'skipped', attempts: 2 },
    ]);
    expect(await run(A, runId)).toMatchObject({ errors: 0, skipped: 1 });
    expect((await outgoingLog(A)).map((r) => [r.outcome, r.action])).toEqual([
      ['skipped', null],
      ['applied', 'created'],
    ]);
    expect(await statuses(A, [bad!.id])).toEqual(['synced']);
  });
});

describe('outcomes on an unreliable link', () => {
  it('are sent again after a reconnect and a restart of the peer, and a duplicate changes nothing', async () => {
    await setup();
    // B's outcomes are lost on the way: A's run waits for them.
    link.b.tap = (f) => (f.ch === 'sync.outcomes' ? [] : [f]);
    const made = await incidents(A, ['a', 'b', 'c']);
    const runId = await A.engine.syncEntities(
      'ca',
      made.map((e) => e.id),
    );
    await waitFor(async () => {
      const decided = await B.host.services.db
        .selectFrom('sync_event_log')
        .select('seq')
        .where('direction', '=', 'in')
        .where('outcome', '=', 'applied')
        .execute();
      return decided.length === 3;
    });
    expect(await run(A, runId)).toMatchObject({ status: 'running', pending: 3 });

    // B restarts on the same database and the link comes back: what A has not acknowledged goes again.
    await B.engine.stop();
    const captured: LinkFrame[] = [];
    link.b.tap = (f) => {
      if (f.ch === 'sync.outcomes') captured.push(f);
      return [f];
    };
    B = await engineSide({
      host: B.host,
      conn: B.conn,
      hub: link.b,
      mode: 'script',
      nodeId: 'node-b',
      tracker: 'builtin',
      sandbox: () => sandbox,
      program: program(),
    });
    link.set(false);
    link.set(true);
    await settled();
    expect(await run(A, runId)).toMatchObject({ status: 'finished', created: 3, pending: 0 });
    expect(captured.length).toBeGreaterThan(0);

    // The same outcomes once more (an ack lost): dropped by sequence, counted once.
    for (const f of captured) await A.engine.delivery!.onOutcomes('ca', f);
    await settled();
    expect(await run(A, runId)).toMatchObject({ created: 3, processed: 3, errors: 0 });
  });

  it('refuses a malformed frame clearly, drops an invalid outcome alone and acknowledges past it', async () => {
    await setup();
    const delivery = A.engine.delivery!;
    await delivery.onOutcomes('ca', { ch: 'sync.outcomes', outcomes: 'nope' });
    await delivery.onOutcomes('ca', {
      ch: 'sync.outcomes',
      outcomes: [{ oseq: 7, seq: 1, outcome: 'exploded', at: 'now' }, { oseq: 8 }],
    });
    await waitFor(() => link.a.sent.some((f) => f.ch === 'sync.outcomes.ack'));
    const refused = link.a.sent.filter((f) => f.ch === 'link.refused');
    expect(refused.map((f) => [f.refused, f.code])).toEqual([
      ['sync.outcomes', 'frame_invalid'],
      ['sync.outcomes', 'outcome_invalid'],
    ]);
    expect(String(refused[1]!.message)).toMatch(/^2 outcome\(s\) are not valid.*outcome 7\): outcome:/);
    expect(link.a.sent.filter((f) => f.ch === 'sync.outcomes.ack')).toEqual([
      { ch: 'sync.outcomes.ack', upTo: 8 },
    ]);
    // B was told, and says so where it shows.
    await waitFor(async () => (await errors(B, 'here'))[0]?.attempts === 2);
    expect(await errors(B, 'here')).toMatchObject([
      { level: 'connection', message: expect.stringContaining('refused a sync.outcomes frame') },
    ]);
  });
});

/**
 * A sandbox whose first outgoing run for the entity named `summary` waits until `release()`; `atGate` resolves
 * when it starts waiting. (By name: the change feed also runs outgoing rules, on entities a run already linked.)
 */
function gatedSandbox(real: Sandbox, summary: string) {
  let gated = false;
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const atGate = new Promise<void>((r) => {
    reached = r;
  });
  const sandbox: Sandbox = {
    check: (p) => real.check(p),
    run: async (id, p, calls, host) => {
      const named = calls.some((c) => c.script === 'outgoing' && c.entity.summary === summary);
      if (named && !gated) {
        gated = true;
        reached();
        await gate;
      }
      return real.run(id, p, calls, host);
    },
    dispose: (id) => real.dispose(id),
    close: () => real.close(),
  };
  return { sandbox, release, atGate };
}

describe('runs', () => {
  it('cancel stops queueing what is not sent; what was sent gets its outcome before the run ends', async () => {
    const gated = gatedSandbox(createSandbox({ timeoutMs: 1000 }), '3');
    await setup({ runChunk: 2, sandboxA: gated.sandbox });
    const made = await incidents(A, ['1', '2', '3', '4', '5', '6']);
    const runId = await A.engine.syncEntities(
      'ca',
      made.map((e) => e.id),
    );
    await gated.atGate; // the second chunk is on its way
    const cancelling = A.engine.cancelRun(runId);
    gated.release();
    expect(await cancelling).toMatchObject({ status: 'cancelled' });
    await settled();
    expect(await run(A, runId)).toMatchObject({
      status: 'cancelled',
      total: 6,
      processed: 4,
      created: 4,
      pending: 0,
    });
    expect((await run(A, runId)).finished_at).not.toBeNull();
    expect((await B.host.services.tracker.list({ limit: 10 })).items).toHaveLength(4);
    await expect(A.engine.cancelRun(runId)).rejects.toMatchObject({ code: 'RUN_NOT_RUNNING' });
    await gated.sandbox.close();
  });

  it('goes on after a restart of the sending engine from where it stopped, and finishes', async () => {
    const gated = gatedSandbox(createSandbox({ timeoutMs: 1000 }), '3');
    await setup({ runChunk: 2, sandboxA: gated.sandbox });
    const made = await incidents(A, ['1', '2', '3', '4', '5']);
    const runId = await A.engine.syncEntities(
      'ca',
      made.map((e) => e.id),
    );
    await gated.atGate;
    const stopping = A.engine.stop();
    gated.release();
    await stopping;
    expect(await run(A, runId)).toMatchObject({ status: 'running', total: 5 });
    const left = await A.host.services.db.selectFrom('sync_run_queue').select('entity_id').execute();
    expect(left).toHaveLength(1);

    A = await engineSide({
      host: A.host,
      conn: A.conn,
      hub: link.a,
      mode: 'script',
      nodeId: 'node-a',
      tracker: 'builtin',
      sandbox: () => sandbox,
      program: program(),
    });
    link.set(false);
    link.set(true);
    await settled();
    expect(await run(A, runId)).toMatchObject({ status: 'finished', created: 5, processed: 5, pending: 0 });
    expect((await B.host.services.tracker.list({ limit: 10 })).items).toHaveLength(5);
    await gated.sandbox.close();
  });
});
