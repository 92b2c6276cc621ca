// A `Sandbox` that times every batch it runs into the metrics, whoever calls it, then hands it on.
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { HostMetrics } from './metrics.ts';

/**
 * Wraps a sandbox: same calls, same results, each run's time reported per rule run.
 * @example const sandbox = timedSandbox(createSandbox(config.sandbox), metrics);
 */
export function timedSandbox<S extends Sandbox>(sandbox: S, metrics: Pick<HostMetrics, 'ruleRun'>): S {
  const timed = {
    check: (program) => sandbox.check(program),
    dispose: (connectionId) => sandbox.dispose(connectionId),
    close: () => sandbox.close(),
    async run(connectionId, program, calls, api) {
      const started = performance.now();
      try {
        return await sandbox.run(connectionId, program, calls, api);
      } finally {
        const seconds = (performance.now() - started) / 1000;
        const outgoing = calls.filter((c) => c.script === 'outgoing').length;
        const incoming = calls.length - outgoing;
        if (outgoing) metrics.ruleRun('outgoing', (seconds * outgoing) / calls.length, outgoing);
        if (incoming) metrics.ruleRun('incoming', (seconds * incoming) / calls.length, incoming);
      }
    },
  } satisfies Sandbox;
  // What the wrapped sandbox offers beyond `Sandbox` (start, stats) stays reachable.
  return Object.assign(Object.create(sandbox) as S, timed);
}
