// The tracker this host syncs: what it is, how it is doing, its API calls and rate-limit waits, its health checks.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Tracker } from '../../trackers/tracker.ts';
import { statusOf, type TrackerCheck, type TrackerStatus } from '../../trackers/tracker-report.ts';
import type { AppEnv } from '../app-env.ts';
import { operation } from '../contract.ts';

export const trackerCheckSchema = z.strictObject({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
  fix: z.string().optional().describe('What to change so the check passes, when known'),
});

export const trackerSchema = z.strictObject({
  kind: z.string().describe('`builtin`, `servicenow`, or the id a tracker module gives'),
  url: z.string().nullable().describe('The instance URL the tracker talks to; null for the built-in store'),
  status: z.enum(['ok', 'degraded', 'down']),
  lastPollAt: z.string().nullable().describe('ISO 8601 time of the last look for changes'),
  calls: z
    .strictObject({ total: z.number().int().min(0), lastMinute: z.number().int().min(0) })
    .describe('Requests made to the system, polls included'),
  rateLimitedUntil: z.string().nullable().describe('Until when the system asked us to wait (429)'),
  checks: z.array(trackerCheckSchema),
});

export const trackerOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getTracker',
    tag: 'Tracker',
    summary: 'The system of record: kind, instance, status, last poll, API calls, rate-limit waits, checks',
    responses: { 200: trackerSchema },
  }),
];

/** A check that the store answers a read of one entity (for trackers without `health()`). */
async function readCheck(tracker: Tracker): Promise<TrackerCheck> {
  const name = tracker.id === 'builtin' ? 'Local store readable' : 'Tracker readable';
  try {
    const page = await tracker.list({ limit: 1 });
    return {
      name,
      ok: true,
      detail: page.items.length ? 'Read one entity' : 'Readable; it holds no entity yet',
    };
  } catch (err) {
    return {
      name,
      ok: false,
      detail: `Reading one entity failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/** A check as published: only its four fields, whatever else the tracker put on it. */
const checkView = (c: TrackerCheck): TrackerCheck => ({
  name: String(c.name),
  ok: c.ok === true,
  detail: String(c.detail),
  ...(typeof c.fix === 'string' ? { fix: c.fix } : {}),
});

async function checksOf(tracker: Tracker): Promise<TrackerCheck[]> {
  if (typeof tracker.health !== 'function') return [await readCheck(tracker)];
  try {
    return (await tracker.health()).map(checkView);
  } catch (err) {
    // health() is meant to answer values; one that throws is a failed check, not a 500.
    const detail = err instanceof Error ? err.message : String(err);
    return [{ name: 'Health checks ran', ok: false, detail }];
  }
}

/** What `status()` says; one that throws says nothing (the checks still tell). */
function currentStatus(tracker: Tracker): TrackerStatus {
  try {
    return statusOf(tracker)?.() ?? {};
  } catch {
    return {};
  }
}

export const trackerRoutes = ({ tracker }: { tracker: Tracker }) =>
  new Hono<AppEnv>().get('/', async (c) => {
    const checks = await checksOf(tracker);
    const s = currentStatus(tracker);
    const passed = checks.filter((x) => x.ok).length;
    const derived = passed === checks.length ? 'ok' : passed === 0 ? 'down' : 'degraded';
    return c.json({
      kind: tracker.id,
      url: s.url ?? null,
      status: s.status ?? derived,
      lastPollAt: s.lastPollAt ?? null,
      calls: { total: s.calls?.total ?? 0, lastMinute: s.calls?.lastMinute ?? 0 },
      rateLimitedUntil: s.rateLimitedUntil ?? null,
      checks,
    } satisfies z.input<typeof trackerSchema>);
  });
