// GET /api/tracker over trackers with and without the optional status() and health() members.
import { describe, expect, it } from 'vitest';
import type { Tracker } from '../../trackers/tracker.ts';
import type { TrackerReport } from '../../trackers/tracker-report.ts';
import { trackerRoutes, trackerSchema } from './tracker.ts';

/** Just enough of a tracker for the route: an id, `list`, and what the test adds. */
const trackerOf = (id: string, extra: Partial<Tracker> & TrackerReport & Record<string, unknown> = {}) =>
  ({ id, list: async () => ({ items: [] }), ...extra }) as unknown as Tracker;

async function report(tracker: Tracker) {
  const res = await trackerRoutes({ tracker }).request('/');
  expect(res.status).toBe(200);
  const body: unknown = await res.json();
  expect(trackerSchema.safeParse(body).error?.issues ?? []).toEqual([]);
  return body as Record<string, unknown>;
}

describe('GET /api/tracker', () => {
  it('reports a tracker without the optional members: its id, no URL, no calls, one read check', async () => {
    expect(await report(trackerOf('builtin'))).toEqual({
      kind: 'builtin',
      url: null,
      status: 'ok',
      lastPollAt: null,
      calls: { total: 0, lastMinute: 0 },
      rateLimitedUntil: null,
      checks: [{ name: 'Local store readable', ok: true, detail: 'Readable; it holds no entity yet' }],
    });
    const failing = trackerOf('acme', {
      list: async () => {
        throw new Error('disk gone');
      },
    });
    expect(await report(failing)).toMatchObject({
      status: 'down',
      checks: [{ name: 'Tracker readable', ok: false, detail: 'Reading one entity failed: disk gone' }],
    });
  });

  it('takes what status() and health() say, and publishes only the four fields of a check', async () => {
    const tracker = trackerOf('servicenow', {
      status: () => ({
        url: 'https://acme.service-now.com',
        lastPollAt: '2026-12-01T10:00:00.000Z',
        calls: { total: 42, lastMinute: 3 },
        rateLimitedUntil: '2026-12-01T10:01:00.000Z',
      }),
      health: async () => [
        { name: 'ServiceNow reachable', ok: true, detail: 'answered' },
        { name: 'Credentials valid', ok: false, detail: 'refused', fix: 'Check the password', password: 'x' },
      ],
    });
    expect(await report(tracker)).toEqual({
      kind: 'servicenow',
      url: 'https://acme.service-now.com',
      status: 'degraded',
      lastPollAt: '2026-12-01T10:00:00.000Z',
      calls: { total: 42, lastMinute: 3 },
      rateLimitedUntil: '2026-12-01T10:01:00.000Z',
      checks: [
        { name: 'ServiceNow reachable', ok: true, detail: 'answered' },
        { name: 'Credentials valid', ok: false, detail: 'refused', fix: 'Check the password' },
      ],
    });
    const told = trackerOf('x', { status: () => ({ status: 'down' }), health: async () => [] });
    expect(await report(told)).toMatchObject({ status: 'down', checks: [] });
  });

  it('answers without what a status() that throws would have said', async () => {
    const tracker = trackerOf('x', {
      status: () => {
        throw new Error('counter broken');
      },
    });
    expect(await report(tracker)).toMatchObject({ kind: 'x', url: null, status: 'ok' });
  });

  it('turns a health() that throws into a failed check, not a 500', async () => {
    const tracker = trackerOf('x', {
      health: async () => {
        throw new Error('no answer');
      },
    });
    expect(await report(tracker)).toMatchObject({
      status: 'down',
      checks: [{ name: 'Health checks ran', ok: false, detail: 'no answer' }],
    });
  });
});
