// The metrics registry: database snapshots become Prometheus series; rule timings become a histogram.
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

const line = (body: string, prefix: string) => body.split('\n').find((l) => l.startsWith(prefix));

describe('createMetrics', () => {
  it('renders a snapshot as absolute series, replacing the previous one', async () => {
    const m = createMetrics({ processMetrics: false });
    const snap = (sent: number, linkUp: boolean | null) => ({
      connectionStates: { active: 2, pending: 1 },
      connections: [
        { id: 'c1', sent, applied: 7, queuedOut: 3, queuedIn: 1, linkUp },
        { id: 'c2', sent: 0, applied: 0, queuedOut: 0, queuedIn: 0, linkUp: null },
      ],
      errors: [
        { level: 'entity', status: 'open', count: 2 },
        { level: 'entity', status: 'resolved', count: 5 },
        { level: 'connection', status: 'open', count: 1 },
      ],
    });
    m.apply(snap(10, true));
    let { body, contentType } = await m.render();
    expect(contentType).toContain('text/plain');
    expect(line(body, 'tandem_events_sent_total{connection="c1"}')).toBe(
      'tandem_events_sent_total{connection="c1"} 10',
    );
    expect(body).toContain('tandem_events_applied_total{connection="c1"} 7');
    expect(body).toContain('tandem_queue_depth{connection="c1",direction="out"} 3');
    expect(body).toContain('tandem_queue_depth{connection="c1",direction="in"} 1');
    expect(body).toContain('tandem_link_up{connection="c1"} 1');
    expect(body).not.toContain('tandem_link_up{connection="c2"}');
    expect(body).toContain('tandem_connections{state="active"} 2');
    expect(body).toContain('tandem_connections{state="error"} 0');
    expect(body).toContain('tandem_errors_total{level="entity"} 7');
    expect(body).toContain('tandem_open_errors{level="entity"} 2');
    expect(body).toContain('tandem_errors_total{level="node"} 0');

    m.apply(snap(25, false));
    ({ body } = await m.render());
    expect(body).toContain('tandem_events_sent_total{connection="c1"} 25');
    expect(body).toContain('tandem_link_up{connection="c1"} 0');
  });

  it('observes each rule run of a batch and ignores nonsense', async () => {
    const m = createMetrics({ processMetrics: false });
    m.ruleRun('outgoing', 0.001, 4);
    m.ruleRun('incoming', 0.00002);
    m.ruleRun('incoming', -1);
    m.ruleRun('incoming', 0.1, 0);
    const { body } = await m.render();
    expect(body).toContain('tandem_rule_run_seconds_count{script="outgoing"} 4');
    expect(body).toContain('tandem_rule_run_seconds_bucket{le="0.0005",script="outgoing"} 4');
    expect(body).toContain('tandem_rule_run_seconds_count{script="incoming"} 1');
  });

  it('runs collectors before each scrape and survives one that throws', async () => {
    const m = createMetrics({ processMetrics: false });
    let n = 0;
    m.onCollect(() => {
      throw new Error('table missing');
    });
    const off = m.onCollect(() => {
      n++;
    });
    await m.render();
    await m.render();
    off();
    await m.render();
    expect(n).toBe(2);
  });
});
