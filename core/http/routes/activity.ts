// The dashboard of all connections and one connection's activity over time (docs/admin-api.md, "Dashboard").
import { Hono } from 'hono';
import { z } from 'zod';
import type { Dashboard } from '../../activity/dashboard.ts';
import { RANGE_NAMES } from '../../activity/series.ts';
import { CONNECTION_STATES } from '../../connections/lifecycle.ts';
import { TandemError } from '../../errors.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';
import { MODES } from './public.ts';

const column = <S extends z.ZodType>(value: S) => z.array(value.nullable());
const count = z.number().int().min(0);

export const activitySeriesSchema = z
  .strictObject({
    from: z.string().describe('Start of the first bucket (ISO 8601)'),
    to: z.string().describe('End of the last bucket; the last bucket holds the present minute'),
    stepSeconds: z.number().int().describe('Bucket width: 60 for 1h, 900 for 24h, 3600 for 7d'),
    at: z.array(z.string()).describe("Each bucket's start"),
    eventsOut: column(count).describe('Events the peer acknowledged, per bucket'),
    eventsIn: column(count).describe('Events received from the peer, per bucket'),
    eventsQueued: column(count).describe('New events queued for the peer, per bucket'),
    queuedOut: column(count).describe('Most events waiting for the peer at once'),
    queuedIn: column(count).describe('Most events waiting here at once'),
    lagOutMs: column(z.number().min(0)).describe('Longest wait of an event the peer had not acknowledged'),
    lagInMs: column(z.number().min(0)).describe('Longest wait of an event not yet applied here'),
    linkUp: column(z.number().min(0).max(1)).describe('Share of the sampled minutes the link was up'),
    openErrors: column(count).describe('Most open errors at once'),
    state: column(z.enum(CONNECTION_STATES)).describe('The state at the end of the bucket'),
  })
  .describe('Columns by bucket: index i of each array is the bucket starting at `at[i]`; null: not sampled');

const linkStatus = z.enum(['not_onboarded', 'up', 'slow', 'down']).nullable();

export const dashboardItemSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  mode: z.enum(MODES),
  state: z.enum(CONNECTION_STATES),
  outbound: linkStatus,
  inbound: linkStatus,
  localName: z.string(),
  remoteName: z.string(),
  peer: z.strictObject({ name: z.string().nullable(), url: z.string().nullable() }),
  link: z.strictObject({ up: z.boolean(), since: z.string().nullable() }),
  lastSyncAt: z
    .string()
    .nullable()
    .describe('The last time an entity of this connection was sent or applied'),
  openErrors: count,
  queuedOut: count,
  queuedIn: count,
  lagOutMs: z.number().min(0).describe('Age of the oldest event the peer has not acknowledged; 0 when none'),
  lagInMs: z.number().min(0).describe('Age of the oldest event waiting here to be applied; 0 when none'),
  activity: activitySeriesSchema.describe('The last hour, minute by minute'),
});

export const dashboardSchema = z.strictObject({
  items: z.array(dashboardItemSchema),
  nextCursor: z.string().optional(),
  summary: z
    .strictObject({
      connections: count,
      byState: z.record(z.string(), count),
      linksDown: count.describe('Active connections whose link is down'),
      openErrors: count,
      queuedOut: count,
      queuedIn: count,
      eventsOut: count.describe('Events acknowledged by peers over the last hour'),
      eventsIn: count.describe('Events received from peers over the last hour'),
    })
    .describe('The whole node, whatever page this is'),
  generatedAt: z.string(),
});

export const connectionActivitySchema = activitySeriesSchema.extend({
  connectionId: z.string(),
  range: z.enum(RANGE_NAMES as ['1h', '24h', '7d']),
});

const dashboardQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
const activityQuery = z.object({
  range: z.enum(RANGE_NAMES as ['1h', '24h', '7d']).default('1h'),
});

export const dashboardOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getDashboard',
    tag: 'Dashboard',
    summary: 'Every connection: state, links, last sync, queues, lag, open errors and its last hour',
    description: 'Connections newest first, paged; `summary` counts the whole node.',
    query: dashboardQuery,
    responses: { 200: dashboardSchema },
    problems: [400, 422],
  }),
];

export const connectionActivityOperations = [
  operation({
    method: 'get',
    path: '/:id/activity',
    operationId: 'getConnectionActivity',
    tag: 'Dashboard',
    summary: "A connection's events, queues, lag, link and errors over time",
    description: '`range` 1h (minute buckets), 24h (15 minutes) or 7d (hours).',
    query: activityQuery,
    responses: { 200: connectionActivitySchema },
    problems: [404, 422],
  }),
];

export const dashboardRoutes = ({ dashboard }: { dashboard: Dashboard }) =>
  new Hono<AppEnv>().get('/', queryOf(dashboardQuery), async (c) =>
    c.json(await dashboard.page(c.req.valid('query'))),
  );

export const connectionActivityRoutes = ({ dashboard }: { dashboard: Dashboard }) =>
  new Hono<AppEnv>().get('/:id/activity', queryOf(activityQuery), async (c) => {
    const id = c.req.param('id');
    const { range } = c.req.valid('query');
    const series = await dashboard.activity(id, range);
    if (!series) throw new TandemError('NOT_FOUND', 404, `Connection ${id} was not found`);
    return c.json({ connectionId: id, range, ...series });
  });
