// GET /metrics on real host processes: who may read it, and what two paired hosts report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from './support/host-process.ts';
import { pair, publicHost } from './support/pairing-support.ts';

const METRICS_TOKEN = `metrics-${Math.random().toString(36).slice(2)}`;
let a: HostProcess;
let b: HostProcess;

beforeAll(async () => {
  [a, b] = await Promise.all([
    publicHost('Acme Corp', { env: { TANDEM_METRICS_TOKEN: METRICS_TOKEN } }),
    publicHost('Globex Services'),
  ]);
});
afterAll(stopAllHosts);

const scrape = (h: HostProcess, token?: string) =>
  fetch(`${h.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

/**
 * The scrape without the `process` label, which a host on PostgreSQL (one of the node's processes) puts on every
 * series: the same series then read the same on both engines.
 */
const metricsText = async (h: HostProcess, token: string) =>
  (await (await scrape(h, token)).text())
    .replace(/\{process="[^"]*"\}/g, '')
    .replace(/process="[^"]*",/g, '')
    .replace(/,process="[^"]*"/g, '');

describe('/metrics', () => {
  it('needs the admin token or the metrics token, and the metrics token opens nothing else', async () => {
    const anonymous = await scrape(a);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthorized');
    expect((await scrape(a, 'wrong-token')).status).toBe(401);
    expect((await scrape(b, METRICS_TOKEN)).status).toBe(401); // b has no metrics token configured

    const viaMetricsToken = await scrape(a, METRICS_TOKEN);
    expect(viaMetricsToken.status).toBe(200);
    expect(viaMetricsToken.headers.get('content-type')).toContain('text/plain');
    expect((await scrape(a, a.token)).status).toBe(200);

    const api = await fetch(`${a.url}/api/node`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(api.status).toBe(401);
  });

  it('reports process figures, connection states and the link of two paired hosts', async () => {
    const before = await metricsText(a, a.token);
    expect(before).toMatch(/^tandem_process_resident_memory_bytes \d+/m);
    expect(before).toContain('tandem_connections{state="active"} 0');
    expect(before).toContain('tandem_errors_total{level="entity"} 0');

    const { inviterConn } = await pair(a, b, true);
    const after = await waitFor(async () => {
      const text = await metricsText(a, METRICS_TOKEN);
      return text.includes(`tandem_link_up{connection="${inviterConn.id}"} 1`) ? text : undefined;
    });
    expect(after).toContain('tandem_connections{state="active"} 1');
    expect(after).toContain(`tandem_queue_depth{connection="${inviterConn.id}",direction="out"} 0`);
    expect(after).toContain(`tandem_events_sent_total{connection="${inviterConn.id}"}`);
    expect(a.stderr()).not.toContain(METRICS_TOKEN);
  });

  it('counts events sent and applied, and rule runs, as a change travels A -> B', async () => {
    const conns = (h: HostProcess) => h.api<{ items: { id: string }[] }>('GET', '/api/connections');
    const aId = (await conns(a)).body.items[0]!.id;
    const bId = (await conns(b)).body.items[0]!.id;
    const trig = await a.api('POST', `/api/connections/${aId}/triggers`, {
      entityType: 'incident',
      query: 'priority <= 2',
      active: true,
    });
    expect(trig.status).toBe(201);
    await a.api('POST', '/api/entities', { type: 'incident', fields: { summary: 'Counted', priority: 1 } });
    const value = (text: string, series: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.split(' ')[1] ?? Number.NaN,
      );
    const atB = await waitFor<string | undefined>(async () => {
      const text = await metricsText(b, b.token);
      return value(text, `tandem_events_applied_total{connection="${bId}"}`) >= 1 ? text : undefined;
    }).then(String);
    expect(value(atB, `tandem_queue_depth{connection="${bId}",direction="in"}`)).toBe(0);
    const atA = await waitFor<string | undefined>(async () => {
      const text = await metricsText(a, a.token);
      return value(text, `tandem_events_sent_total{connection="${aId}"}`) >= 1 ? text : undefined;
    }).then(String);
    expect(value(atA, 'tandem_rule_run_seconds_count{script="outgoing"}')).toBeGreaterThanOrEqual(1);
    expect(value(atB, 'tandem_rule_run_seconds_count{script="incoming"}')).toBeGreaterThanOrEqual(1);
    expect(value(atA, 'tandem_errors_total{level="entity"}')).toBe(0);
  });
});
