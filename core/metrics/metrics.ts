// The host's metrics registry, rendered in Prometheus text format: the one file that imports prom-client.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CONNECTION_STATES } from '../connections/lifecycle.ts';

export type ScriptName = 'outgoing' | 'incoming';

/**
 * What subsystems report directly. Everything else (events, queues, links, errors, connection states)
 * is read from the database and the link hub at each scrape, so nobody has to remember to count it.
 * @example
 * const t = performance.now();
 * const results = await sandbox.run(id, program, calls);
 * services.metrics?.ruleRun('outgoing', (performance.now() - t) / 1000, calls.length);
 */
export interface Metrics {
  /** Time spent running rules; for a batch pass the total seconds and the number of runs. */
  ruleRun(script: ScriptName, seconds: number, runs?: number): void;
  /** Runs before each scrape; a collector that throws is skipped for that scrape. */
  onCollect(collector: () => void | Promise<void>): () => void;
  render(): Promise<{ contentType: string; body: string }>;
}

/** The state of the host at one scrape, as read by the metrics module. */
export interface MetricsSnapshot {
  connectionStates: Record<string, number>;
  connections: Array<{
    id: string;
    /** Events the peer acknowledged (out_acked). */
    sent: number;
    /** Events received and applied (in_high minus those still in the inbox). */
    applied: number;
    queuedOut: number;
    queuedIn: number;
    /** null when the connection has no link yet (pending). */
    linkUp: boolean | null;
  }>;
  errors: Array<{ level: string; status: string; count: number }>;
}

export interface HostMetrics extends Metrics {
  /** Sets every database-derived series from a snapshot (absolute values). */
  apply(snapshot: MetricsSnapshot): void;
}

const LEVELS = ['entity', 'connection', 'node'] as const;

export function createMetrics(opts: { processMetrics?: boolean; process?: string } = {}): HostMetrics {
  const registry = new Registry();
  // Processes sharing one database are one node: a scrape of each tells them apart by this label.
  if (opts.process) registry.setDefaultLabels({ process: opts.process });
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tandem_' });
  const registers = [registry];
  const sent = new Counter({
    name: 'tandem_events_sent_total',
    help: 'Sync events delivered to the peer and acknowledged by it',
    labelNames: ['connection'],
    registers,
  });
  const applied = new Counter({
    name: 'tandem_events_applied_total',
    help: 'Sync events received from the peer and applied (or resolved)',
    labelNames: ['connection'],
    registers,
  });
  const queue = new Gauge({
    name: 'tandem_queue_depth',
    help: 'Events waiting in the outbox (out) or inbox (in)',
    labelNames: ['connection', 'direction'],
    registers,
  });
  const link = new Gauge({
    name: 'tandem_link_up',
    help: '1 when the link of the connection is connected and authenticated, else 0',
    labelNames: ['connection'],
    registers,
  });
  const states = new Gauge({
    name: 'tandem_connections',
    help: 'Connections per state',
    labelNames: ['state'],
    registers,
  });
  const errors = new Counter({
    name: 'tandem_errors_total',
    help: 'Errors recorded, by level',
    labelNames: ['level'],
    registers,
  });
  const openErrors = new Gauge({
    name: 'tandem_open_errors',
    help: 'Errors not yet retried or resolved, by level',
    labelNames: ['level'],
    registers,
  });
  const rules = new Histogram({
    name: 'tandem_rule_run_seconds',
    help: 'Time of one rule run in the sandbox',
    labelNames: ['script'],
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  const collectors = new Set<() => void | Promise<void>>();

  return {
    ruleRun(script, seconds, runs = 1) {
      if (!(runs >= 1) || !(seconds >= 0)) return;
      const each = seconds / runs;
      for (let i = 0; i < runs; i++) rules.observe({ script }, each);
    },
    onCollect(collector) {
      collectors.add(collector);
      return () => collectors.delete(collector);
    },
    apply(s) {
      for (const m of [sent, applied, queue, link, errors, openErrors]) m.reset();
      for (const state of CONNECTION_STATES) states.set({ state }, s.connectionStates[state] ?? 0);
      for (const c of s.connections) {
        sent.inc({ connection: c.id }, Math.max(0, c.sent));
        applied.inc({ connection: c.id }, Math.max(0, c.applied));
        queue.set({ connection: c.id, direction: 'out' }, c.queuedOut);
        queue.set({ connection: c.id, direction: 'in' }, c.queuedIn);
        if (c.linkUp !== null) link.set({ connection: c.id }, c.linkUp ? 1 : 0);
      }
      for (const level of LEVELS) {
        const rows = s.errors.filter((e) => e.level === level);
        errors.inc(
          { level },
          rows.reduce((n, r) => n + r.count, 0),
        );
        openErrors.set(
          { level },
          rows.filter((r) => r.status === 'open').reduce((n, r) => n + r.count, 0),
        );
      }
    },
    async render() {
      for (const c of collectors) {
        try {
          await c();
        } catch {
          // A collector that cannot read (e.g. a table of a subsystem this host does not run) must not break the scrape.
        }
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
