// The fence on the writes a connection's engine makes besides its outbox, inbox and twins: a process whose lease
// was taken over cannot write a journal intent, a feed cursor, a run's state or an error row for that connection,
// and leaves nothing partial behind; the connections it still holds write as before.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { openDatabase } from '../../storage/database.ts';
import type { Db } from '../../storage/schema.ts';
import { tempDir } from '../../tests/support/host-process.ts';
import {
  type InProcessHost,
  inProcessHost,
  insertConnection,
  syncContext,
} from '../../tests/support/in-process.ts';
import { manualClock } from '../../tests/support/manual-clock.ts';
import { type FreshPostgres, freshPostgres } from '../../tests/support/test-postgres.ts';
import { createLogger } from '../log.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram } from '../sandbox/sandbox.ts';
import { syncConnection } from '../sync/connections-view.ts';
import type { SyncContext } from '../sync/context.ts';
import { createFeed } from '../sync/engine/feed.ts';
import { createHolds } from '../sync/engine/holds.ts';
import type { SyncEvent } from '../sync/events.ts';
import { commitInbox } from '../sync/inbox.ts';
import { applyJournaled } from '../sync/journal.ts';
import { addCounts, markQueued, startRun } from '../sync/runs.ts';
import { ensureStream, getStream } from '../sync/streams.ts';
import { recordError } from '../sync/sync-errors.ts';
import { fenced, LeaseLost } from './fence.ts';
import { type Leases, sharedLeases } from './leases.ts';

const log = createLogger('fence-test', 'silent');
const timings = { heartbeatMs: 60_000, leaseMs: 20_000, minHoldMs: 0 };
const program: RuleProgram = {
  version: 'v1',
  outgoing: scriptMode.defaults().outgoing,
  incoming: scriptMode.defaults().incoming,
};
const upsert = (remoteId: string, summary: string): SyncEvent => ({
  kind: 'upsert',
  entityId: remoteId,
  key: null,
  twinId: null,
  replica: { type: 'incident', summary },
  clocks: {},
  clock: `${String(Date.now()).padStart(15, '0')}-000001-node-a`,
});

describe('fenced engine writes (PostgreSQL)', () => {
  let fresh: FreshPostgres;
  let dir: string;
  let host: InProcessHost;
  let sandbox: ManagedSandbox;
  let other: { db: Db; close(): Promise<void> };
  const started: Leases[] = [];

  beforeEach(async () => {
    fresh = await freshPostgres();
    dir = tempDir('tandem-fence-');
    // A non-transactional tracker: received events apply through the journal.
    host = await inProcessHost({ tracker: 'memory', config: { storage: { databaseUrl: fresh.url } } });
    sandbox = createSandbox({ timeoutMs: 1000 });
    other = await openDatabase(dir, { url: fresh.url, poolSize: 3 });
  });

  afterEach(async () => {
    for (const l of started.splice(0)) await l.stop();
    await sandbox.close();
    await host.close();
    await other.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function leasesOn(db: Db, url: string): Promise<Leases> {
    const leases = sharedLeases(db, log, timings);
    started.push(leases);
    await leases.start(url);
    return leases;
  }

  it('a process whose leases were taken writes no journal row, cursor, run state or error for them', async () => {
    const db = host.services.db;
    const ids = ['c0', 'c1', 'c2', 'c3', 'c4'];
    for (const id of ids) await insertConnection(db, id, 'script');
    const a = await leasesOn(db, 'http://a');
    expect(ids.every((id) => a.holds(id))).toBe(true);
    const ctx: SyncContext = syncContext(host, sandbox);
    const tracker = host.services.tracker;

    // While A holds them: an event waits in c0's inbox, c1 and c4 follow the feed from its start, c2 has a run.
    await commitInbox(db, 'c0', [{ seq: 1, event: upsert('r1', 'one') }]);
    for (const id of ['c1', 'c4']) await db.transaction().execute((tx) => ensureStream(tx, id, '0'));
    // Changes made by a connection's own apply (its journal says so): nothing to send, only its cursor moves.
    const ownChange = async (connectionId: string) => {
      const e = await tracker.create(
        { type: 'incident', fields: { summary: connectionId } },
        { origin: 'local' },
      );
      await db
        .insertInto('sync_apply_versions')
        .values({ entity_id: e.id, version: 1, connection_id: connectionId, seq: 1 })
        .execute();
    };
    await ownChange('c1');
    const runId = await startRun(db, 'c2', 'manual', null, []);

    // A is paused past its leases: B takes c0..c3 over (c4 stays A's), while A still believes it holds them all.
    await other.db
      .updateTable('connection_leases')
      .set({ expires_at: 0 })
      .where('connection_id', '!=', 'c4')
      .execute();
    await other.db.updateTable('node_processes').set({ last_seen_at: 0 }).execute();
    const b = await leasesOn(other.db, 'http://b');
    expect(ids.filter((id) => b.holds(id))).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(ids.every((id) => a.holds(id))).toBe(true);

    // The journal: no intent recorded, so nothing written to the tracker either; the event stays in the inbox.
    const c0 = (await syncConnection(db, 'c0'))!;
    await expect(applyJournaled(ctx, c0, program)).rejects.toBeInstanceOf(LeaseLost);
    expect(await db.selectFrom('sync_apply_journal').selectAll().execute()).toEqual([]);
    expect((await tracker.list({ limit: 10 })).items.map((e) => e.fields.summary)).toEqual(['c1']);
    expect(
      await db.selectFrom('sync_inbox').select('seq').where('connection_id', '=', 'c0').execute(),
    ).toEqual([{ seq: 1 }]);
    expect(a.holds('c0')).toBe(false);

    // The idle feed cursor: c1's does not move (A lets c1 go); c4's, still held here, does.
    const clock = manualClock();
    const feed = createFeed({ ctx, clock, holds: createHolds({ db, log, clock }) });
    await feed.follow([(await syncConnection(db, 'c1'))!], async () => program);
    await db
      .updateTable('sync_streams')
      .set({ feed_cursor: '1' })
      .where('connection_id', '=', 'c4')
      .execute();
    await ownChange('c4');
    await feed.follow([(await syncConnection(db, 'c4'))!], async () => program);
    expect(a.holds('c1')).toBe(true); // the cursors are written once a second, or when told
    await feed.saveIdleCursors(true);
    expect((await getStream(db, 'c1'))?.feed_cursor).toBe('0');
    expect((await getStream(db, 'c4'))?.feed_cursor).toBe('2');
    expect(a.holds('c1')).toBe(false);
    expect(a.holds('c4')).toBe(true);

    // The run: neither marked queued (so not finished) nor counted.
    await expect(
      fenced(db, 'c2', async (tx) => {
        await addCounts(tx, runId, { created: 1 });
        await markQueued(tx, runId);
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    const run = await db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect([run.created, run.queued_at, run.finished_at, run.status]).toEqual([0, null, null, 'running']);

    // Error rows: neither a connection's nor an entity's; a node-level one (no connection) is written as before.
    await expect(
      recordError(db, { level: 'connection', connectionId: 'c3', message: 'Syncing failed' }),
    ).rejects.toBeInstanceOf(LeaseLost);
    await expect(
      recordError(db, {
        level: 'entity',
        connectionId: 'c3',
        direction: 'in',
        remoteId: 'r9',
        message: 'no',
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    await recordError(db, { level: 'node', connectionId: null, message: 'the node' });
    expect(await db.selectFrom('sync_errors').select(['level', 'connection_id']).execute()).toEqual([
      { level: 'node', connection_id: null },
    ]);
    expect(ids.filter((id) => a.holds(id))).toEqual(['c4']);

    // The new holder writes them all.
    await other.db.transaction().execute(async (tx) => {
      await recordError(tx, { level: 'connection', connectionId: 'c3', message: 'Syncing failed' });
      await fenced(tx, 'c2', (t) => markQueued(t, runId));
    });
    expect(await other.db.selectFrom('sync_errors').select('connection_id').execute()).toHaveLength(2);
    expect((await getStream(other.db, 'c1'))?.feed_cursor).toBe('0');
  });
});
