// GET /metrics on real host processes: who may read it, and what two paired hosts report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pair, publicHost } from './pairing-support.ts';
import { type HostProcess, stopAllHosts, waitFor } from './support/host-process.ts';

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
    const before = await (await scrape(a, a.token)).text();
    expect(before).toMatch(/^tandem_process_resident_memory_bytes \d+/m);
    expect(before).toContain('tandem_connections{state="active"} 0');
    expect(before).toContain('tandem_errors_total{level="entity"} 0');

    const { inviterConn } = await pair(a, b, true);
    const after = await waitFor(async () => {
      const text = await (await scrape(a, METRICS_TOKEN)).text();
      return text.includes(`tandem_link_up{connection="${inviterConn.id}"} 1`) ? text : undefined;
    });
    expect(after).toContain('tandem_connections{state="active"} 1');
    expect(after).toContain(`tandem_queue_depth{connection="${inviterConn.id}",direction="out"} 0`);
    expect(after).toContain(`tandem_events_sent_total{connection="${inviterConn.id}"}`);
    expect(a.stderr()).not.toContain(METRICS_TOKEN);
  });
});
