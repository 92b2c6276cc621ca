// Routing a page of the change feed: each change goes to the connections it concerns, and to no other.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type InProcessHost,
  inProcessHost,
  insertConnection,
  syncContext,
} from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import type { Change } from '../trackers/tracker.ts';
import { routeChanges } from './engine/route.ts';
import { createTrigger } from './triggers.ts';
import { saveTwin } from './twins.ts';

let host: InProcessHost;
let sandbox: ManagedSandbox;
beforeEach(async () => {
  host = await inProcessHost();
  sandbox = createSandbox({ timeoutMs: 1000 });
});
afterEach(async () => {
  await host.close();
  await sandbox.close();
});

describe('routing a page of changes', () => {
  it('sends a change to the connections whose trigger matches it or that twin it, never back to the one that made it', async () => {
    const db = host.services.db;
    for (const id of ['hi', 'lo', 'twin', 'off', 'other']) await insertConnection(db, id, 'script');
    await createTrigger(db, 'hi', { entityType: 'incident', query: 'priority <= 2', active: true });
    await createTrigger(db, 'lo', { entityType: 'incident', query: 'priority > 2', active: true });
    await createTrigger(db, 'off', { entityType: 'incident', query: 'priority <= 2', active: false });
    await createTrigger(db, 'other', { entityType: 'problem', query: 'priority <= 2', active: true });
    const tracker = host.services.tracker;
    const urgent = await tracker.create(
      { type: 'incident', fields: { summary: 'u', priority: 1 } },
      { origin: 'local' },
    );
    const minor = await tracker.create(
      { type: 'incident', fields: { summary: 'm', priority: 4 } },
      { origin: 'local' },
    );
    const gone = await tracker.create(
      { type: 'incident', fields: { summary: 'g', priority: 1 } },
      { origin: 'local' },
    );
    await tracker.delete(gone.id, { origin: 'local' });
    await saveTwin(db, 'twin', minor.id, {});
    await saveTwin(db, 'twin', gone.id, {});
    await saveTwin(db, 'lo', gone.id, {});
    const at = new Date().toISOString();
    const change = (entityId: string, op: Change['op']): Change => ({
      entityId,
      entityType: 'incident',
      op,
      version: 1,
      at,
    });
    const changes = [
      change(urgent.id, 'create'),
      change(minor.id, 'create'),
      change(urgent.id, 'update'),
      change(minor.id, 'update'),
      change(gone.id, 'delete'),
    ];
    // The second change of `minor` came from connection `twin`'s own apply: not sent back, the first one is.
    const origins = ['local', 'local', 'local', 'connection:twin', 'connection:lo'];
    const all = ['hi', 'lo', 'twin', 'off', 'other'];
    const { routes, entities } = await routeChanges(syncContext(host, sandbox), changes, origins, all);
    expect(Object.fromEntries(routes)).toEqual({
      hi: { ids: [urgent.id], deleted: [] },
      lo: { ids: [minor.id], deleted: [] }, // its own deletion of `gone` is not its to send
      twin: { ids: [minor.id], deleted: [gone.id] },
    });
    expect([...entities.keys()].sort()).toEqual([urgent.id, minor.id].sort());

    // Only the connections following this page count: the others are another group's (or held).
    const some = await routeChanges(syncContext(host, sandbox), changes, origins, ['lo']);
    expect(Object.fromEntries(some.routes)).toEqual({ lo: { ids: [minor.id], deleted: [] } });
  });
});
