// The cost of a change does not grow with the connections it does not concern: statements counted per change.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { engineSide, memoryLink, type Side } from '../../tests/support/engine-pair.ts';
import { waitFor } from '../../tests/support/host-process.ts';
import { type InProcessHost, inProcessHost, insertConnection } from '../../tests/support/in-process.ts';
import { createSandbox, type ManagedSandbox } from '../sandbox/create-sandbox.ts';
import { createTrigger } from './triggers.ts';

/** Counts the statements run through the engine's database, except inside `unCounted` (the test's own waiting). */
function statementCounter() {
  const quiet = new AsyncLocalStorage<true>();
  let count = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    async transformResult(args) {
      if (!quiet.getStore()) count++;
      return args.result;
    },
  };
  return {
    plugin,
    take() {
      const n = count;
      count = 0;
      return n;
    },
    unCounted: <T>(fn: () => Promise<T>) => quiet.run(true, fn),
  };
}

let sandbox: ManagedSandbox;
const opened: Array<{ side: Side; host: InProcessHost }> = [];

beforeEach(() => {
  sandbox = createSandbox({ timeoutMs: 1000 });
});
afterEach(async () => {
  for (const { side, host } of opened.splice(0)) {
    await side.engine.stop();
    await host.close();
  }
  await sandbox.close();
});

/**
 * A sender with `idle` active connections whose triggers match nothing written here, and one connection `c`
 * whose trigger matches every incident; statements its engine runs for one change, once warmed up.
 */
async function statementsPerChange(idle: number, kind: 'active' | 'deactivated'): Promise<number> {
  const host = await inProcessHost();
  const db = host.services.db;
  for (let i = 0; i < idle; i++) {
    await insertConnection(db, `idle-${i}`, 'script', kind);
    await createTrigger(db, `idle-${i}`, {
      entityType: 'incident',
      query: `summary = "never-${i}"`,
      active: true,
    });
  }
  await insertConnection(db, 'c', 'script');
  await createTrigger(db, 'c', { entityType: 'incident', query: 'priority != 5', active: true });
  const counter = statementCounter();
  // The link stays down: what is counted is the feed and the outgoing step, not delivery.
  const link = memoryLink('c', 'peer');
  const side = await engineSide({
    conn: 'c',
    hub: link.a,
    mode: 'script',
    nodeId: 'node-a',
    tracker: 'builtin',
    sandbox: () => sandbox,
    program: {
      version: 'v1',
      outgoing: scriptMode.defaults().outgoing,
      incoming: scriptMode.defaults().incoming,
    },
    host,
    // No tick: only the change wakes the engine.
    engine: { db: db.withPlugin(counter.plugin), tickMs: 3_600_000 },
  });
  opened.push({ side, host });
  const queued = (n: number) =>
    waitFor(async () => {
      const rows = await db
        .selectFrom('sync_outbox')
        .select('seq')
        .where('connection_id', '=', 'c')
        .execute();
      return rows.length >= n;
    });
  const change = async (summary: string, n: number) => {
    await host.services.tracker.create({ type: 'incident', fields: { summary } }, { origin: 'local' });
    await queued(n);
    await counter.unCounted(() => side.engine.settled());
  };
  await counter.unCounted(() => side.engine.settled());
  await change('warm-up', 1);
  counter.take();
  await change('measured', 2);
  return counter.take();
}

describe('a change on a host with many connections', () => {
  it('costs about as many statements with 50 active connections it does not concern as with none', async () => {
    const alone = await statementsPerChange(0, 'active');
    const crowded = await statementsPerChange(50, 'active');
    expect(alone).toBeGreaterThan(0);
    // Before routing, every connection ran its own scope reads and a transaction for each change (10 a piece).
    expect(crowded).toBeLessThanOrEqual(alone + 5);
  }, 60_000);

  it('and as many with 50 deactivated connections, which follow the feed too', async () => {
    const alone = await statementsPerChange(0, 'active');
    const crowded = await statementsPerChange(50, 'deactivated');
    expect(crowded).toBeLessThanOrEqual(alone + 5);
  }, 60_000);
});
