// What one local change costs the sending engine beside connections it does not concern: statements and CPU.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KyselyPlugin } from 'kysely';
import type { Sandbox } from '../../core/sandbox/sandbox.ts';
import { createTrigger } from '../../core/sync/triggers.ts';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { engineSide, memoryLink } from './engine-pair.ts';
import { waitFor } from './host-process.ts';
import { inProcessHost, insertConnection } from './in-process.ts';

/** Counts the statements run through a database, except inside `unCounted` (waiting for the engine). */
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

export interface FanoutCost {
  /** Statements the engine ran per change (the transactions' begin and commit not counted). */
  statements: number;
  /** CPU time of this process per change (the rule runner's own process not counted). */
  cpuMs: number;
}

/**
 * A sender with `idle` connections (`kind`) whose triggers match nothing written, and one active connection
 * `c` whose trigger matches every incident, its link down (delivery is not measured); `changes` single
 * changes, each written once the one before is queued on `c`, after one to warm up.
 * @example const { statements } = await measureFanout({ idle: 50, kind: 'active', changes: 5, sandbox: () => sb });
 */
export async function measureFanout(opts: {
  idle: number;
  kind: 'active' | 'deactivated';
  changes: number;
  sandbox: () => Sandbox;
  /** A PostgreSQL database to build the host on (else the run's engine, see in-process.ts). */
  databaseUrl?: string;
}): Promise<FanoutCost> {
  const host = await inProcessHost(
    opts.databaseUrl ? { config: { storage: { databaseUrl: opts.databaseUrl } } } : {},
  );
  const db = host.services.db;
  const counter = statementCounter();
  let side: Awaited<ReturnType<typeof engineSide>> | undefined;
  try {
    for (let i = 0; i < opts.idle; i++) {
      await insertConnection(db, `idle-${i}`, 'script', opts.kind);
      await createTrigger(db, `idle-${i}`, {
        entityType: 'incident',
        query: `summary = "never-${i}"`,
        active: true,
      });
    }
    await insertConnection(db, 'c', 'script');
    await createTrigger(db, 'c', { entityType: 'incident', query: 'priority != 5', active: true });
    const { outgoing, incoming } = scriptMode.defaults();
    side = await engineSide({
      conn: 'c',
      hub: memoryLink('c', 'peer').a,
      mode: 'script',
      nodeId: 'node-a',
      tracker: 'builtin',
      sandbox: opts.sandbox,
      program: { version: 'v1', outgoing, incoming },
      host,
      // No tick: only the changes wake the engine.
      engine: { db: db.withPlugin(counter.plugin), tickMs: 3_600_000 },
    });
    const engine = side.engine;
    let queued = 0;
    const change = async (summary: string) => {
      await host.services.tracker.create({ type: 'incident', fields: { summary } }, { origin: 'local' });
      queued++;
      await waitFor(
        async () =>
          (await db.selectFrom('sync_outbox').select('seq').where('connection_id', '=', 'c').execute())
            .length >= queued,
        30_000,
        2,
      );
    };
    await counter.unCounted(() => engine.settled());
    await change('warm-up');
    await counter.unCounted(() => engine.settled());
    counter.take();
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < opts.changes; k++) await change(`measured ${k}`);
    const cpu = process.cpuUsage(cpu0);
    await counter.unCounted(() => engine.settled());
    return {
      statements: counter.take() / opts.changes,
      cpuMs: (cpu.user + cpu.system) / 1000 / opts.changes,
    };
  } finally {
    await side?.engine.stop();
    await host.close();
  }
}
