// The dashboard of two real paired hosts: N changes synced from A to B show as N events out on A and N events
// in on B in each one's last-hour series; a change waiting on a paused connection shows as queue and lag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostProcess, stopAllHosts, waitFor } from './support/host-process.ts';
import { pair, publicHost } from './support/pairing-support.ts';
import { bySummary, createEntity, patchEntity, syncAllIncidents } from './support/sync.ts';

/** Samples every 200 ms (each sample rewrites its minute's row), so the test needs not wait for a minute. */
const FAST = { env: { TANDEM_SYNC_TICK_MS: '200', TANDEM_ACTIVITY_SAMPLE_MS: '200' } };
const N = 12;

interface Series {
  at: string[];
  stepSeconds: number;
  eventsOut: (number | null)[];
  eventsIn: (number | null)[];
  queuedOut: (number | null)[];
  lagOutMs: (number | null)[];
  linkUp: (number | null)[];
  state: (string | null)[];
}
interface Item {
  id: string;
  name: string;
  state: string;
  outbound: string | null;
  inbound: string | null;
  lastSyncAt: string | null;
  openErrors: number;
  queuedOut: number;
  lagOutMs: number;
  activity: Series;
}
interface DashboardPage {
  items: Item[];
  summary: { connections: number; eventsOut: number; eventsIn: number; queuedOut: number; linksDown: number };
}

let a: HostProcess;
let b: HostProcess;
let aConn: string;
let bConn: string;

beforeAll(async () => {
  [a, b] = await Promise.all([publicHost('Alpha', FAST), publicHost('Beta', FAST)]);
  const paired = await pair(a, b, true);
  aConn = paired.inviterConn.id;
  bConn = paired.acceptorConn.id;
}, 60_000);

afterAll(async () => {
  await stopAllHosts();
});

const dashboard = async (h: HostProcess) => {
  const r = await h.api<DashboardPage>('GET', '/api/dashboard');
  expect(r.status).toBe(200);
  return r.body;
};
const sum = (xs: (number | null)[]) => xs.reduce<number>((n, x) => n + (x ?? 0), 0);
const itemOf = (page: DashboardPage, id: string) => page.items.find((i) => i.id === id)!;

describe('the dashboard of two paired hosts', () => {
  it('shows N synced changes as N events out on the sender and N events in on the receiver', async () => {
    await syncAllIncidents(a, aConn);
    const names = Array.from({ length: N }, (_, i) => `Dashboard incident ${i + 1}`);
    for (const summary of names) await createEntity(a, { summary, priority: 2 });
    await waitFor(async () => {
      const onB = await bySummary(b);
      return names.every((n) => onB.has(n));
    }, 20_000);

    const [onA, onB] = await Promise.all([
      waitFor(async () => {
        const page = await dashboard(a);
        return sum(itemOf(page, aConn).activity.eventsOut) === N ? page : undefined;
      }, 15_000),
      waitFor(async () => {
        const page = await dashboard(b);
        return sum(itemOf(page, bConn).activity.eventsIn) === N ? page : undefined;
      }, 15_000),
    ]);
    const itemA = itemOf(onA!, aConn);
    const itemB = itemOf(onB!, bConn);
    expect(itemA).toMatchObject({
      state: 'active',
      outbound: 'up',
      inbound: 'up',
      openErrors: 0,
      queuedOut: 0,
    });
    expect(itemB).toMatchObject({ state: 'active', outbound: 'up', inbound: 'up', openErrors: 0 });
    expect(itemA.lastSyncAt).not.toBeNull();
    expect(itemB.lastSyncAt).not.toBeNull();
    for (const s of [itemA.activity, itemB.activity]) {
      expect(s.at).toHaveLength(60);
      expect(s.stepSeconds).toBe(60);
      // The present minute was sampled with the link up.
      expect(s.linkUp.at(-1)).toBe(1);
      expect(s.state.at(-1)).toBe('active');
    }
    expect(onA!.summary).toMatchObject({ connections: 1, linksDown: 0, eventsOut: N });
    expect(onB!.summary.eventsIn).toBe(N);

    // The same numbers over a day, in 15-minute buckets.
    const day = await a.api<Series>('GET', `/api/connections/${aConn}/activity?range=24h`);
    expect(day.status).toBe(200);
    expect(day.body.stepSeconds).toBe(900);
    expect(sum(day.body.eventsOut)).toBe(N);
    const dayB = await b.api<Series>('GET', `/api/connections/${bConn}/activity?range=24h`);
    expect(sum(dayB.body.eventsIn)).toBe(N);
  });

  it('shows a change waiting on a paused connection as queued with a growing lag, then drained', async () => {
    const [first] = [...(await bySummary(a)).values()];
    expect((await a.api('POST', `/api/connections/${aConn}/deactivate`)).status).toBe(200);
    await patchEntity(a, first!.id, { summary: 'Changed while paused' });
    const paused = await waitFor(async () => {
      const item = itemOf(await dashboard(a), aConn);
      return item.queuedOut === 1 && item.lagOutMs > 0 && (item.activity.lagOutMs.at(-1) ?? 0) > 0
        ? item
        : undefined;
    }, 15_000);
    expect(paused!.state).toBe('deactivated');
    expect(paused!.activity.queuedOut.at(-1)).toBe(1);

    expect((await a.api('POST', `/api/connections/${aConn}/activate`)).status).toBe(200);
    await waitFor(async () => (await bySummary(b)).has('Changed while paused'), 15_000);
    const drained = await waitFor(async () => {
      const item = itemOf(await dashboard(a), aConn);
      return item.queuedOut === 0 && item.lagOutMs === 0 && sum(item.activity.eventsOut) === N + 1
        ? item
        : undefined;
    }, 15_000);
    expect(drained!.state).toBe('active');
  });
});
