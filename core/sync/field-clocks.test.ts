// Per-field clocks and snapshots are kept only where per-field conflict resolution runs (Basic, Visual).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicMode } from '../../modes/basic/basic-mode.ts';
import { scriptMode } from '../../modes/script/script-mode.ts';
import {
  type InProcessHost,
  inProcessHost,
  insertConnection,
  syncContext,
} from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { RuleProgram } from '../sandbox/sandbox.ts';
import { connectionInfo, syncConnection } from './connections-view.ts';
import type { SyncContext } from './context.ts';
import type { SyncEvent } from './events.ts';
import { processOutgoing } from './outgoing.ts';
import { receiveEvents } from './receive.ts';
import { ensureStream } from './streams.ts';

let host: InProcessHost;
let sandbox: ManagedSandbox;
let ctx: SyncContext;

beforeEach(async () => {
  host = await inProcessHost();
  sandbox = createSandbox({ timeoutMs: 1000 });
  await insertConnection(host.services.db, 'basic', 'basic');
  await insertConnection(host.services.db, 'script', 'script');
  ctx = syncContext(host, sandbox);
});
afterEach(async () => {
  await sandbox.close();
  await host.close();
});

function programOf(mode: 'basic' | 'script'): RuleProgram {
  if (mode === 'script') return { version: 's', ...scriptMode.defaults() };
  const conn = { id: mode, name: mode, localName: 'here', remoteName: 'there' };
  return { version: 'b', ...basicMode.compile(basicMode.defaults(), conn) };
}

const twin = (connectionId: string) =>
  host.services.db
    .selectFrom('sync_twins')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();

describe('per-field clocks', () => {
  for (const mode of ['basic', 'script'] as const) {
    const keeps = mode === 'basic';
    it(`${mode}: ${keeps ? 'sends and keeps' : 'neither sends nor keeps'} clocks per field`, async () => {
      const conn = (await syncConnection(host.services.db, mode))!;
      const program = programOf(mode);
      // Sending: the event's clocks and the twin's clocks and snapshot.
      const e = await host.services.tracker.create(
        { type: 'incident', fields: { summary: 'sent', status: 'new' } },
        { origin: 'local' },
      );
      await ensureStream(host.services.db, mode, '0');
      await processOutgoing(ctx, [e.id], { program, connection: connectionInfo(conn), mode, force: true });
      const row = await host.services.db
        .selectFrom('sync_outbox')
        .select('payload')
        .where('connection_id', '=', mode)
        .executeTakeFirstOrThrow();
      const event = JSON.parse(row.payload) as Extract<SyncEvent, { kind: 'upsert' }>;
      const sent = await twin(mode);
      if (keeps) {
        expect(Object.keys(event.clocks)).toContain('summary');
        expect(JSON.parse(sent.sent_clocks)).toEqual(event.clocks);
        expect(JSON.parse(sent.field_clocks)).toHaveProperty('summary');
        expect(JSON.parse(sent.snapshot!)).toMatchObject({ summary: 'sent' });
      } else {
        expect(event.clocks).toEqual({});
        expect([sent.sent_clocks, sent.field_clocks, sent.snapshot]).toEqual(['{}', '{}', null]);
      }

      // Receiving: a first sync from the peer records (or not) the clocks it came with.
      await host.services.db.deleteFrom('sync_twins').execute();
      const incoming: SyncEvent = {
        kind: 'upsert',
        entityId: 'remote-1',
        key: 'R-1',
        twinId: null,
        replica: { type: 'incident', summary: 'received', status: 'new' },
        clocks: keeps ? { summary: event.clock, status: event.clock } : {},
        clock: event.clock,
      };
      await receiveEvents(ctx, mode, [{ seq: 1, event: incoming }], { conn, program });
      const got = await twin(mode);
      expect(got.remote_id).toBe('remote-1');
      if (keeps) {
        expect(JSON.parse(got.field_clocks)).toMatchObject({ summary: event.clock });
        expect(JSON.parse(got.snapshot!)).toMatchObject({ summary: 'received' });
      } else expect([got.field_clocks, got.snapshot]).toEqual(['{}', null]);
    });
  }
});
