// The admin API of sync runs: node-wide or per connection, each with its counts, its CSV report, and cancel.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import { notFound } from '../../errors.ts';
import type { SyncEngine } from '../../sync/engine.ts';
import { runReport, runReportCsv } from '../../sync/run-report.ts';
import { getRun, listRuns, runJson } from '../../sync/runs.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';
import { listOf, offsetOf, page, paged } from './list-paging.ts';

const runStatus = z.enum(['running', 'finished', 'cancelled', 'failed']);
const runsQuery = z.object({
  connectionId: z.string().max(200).optional(),
  triggerId: z.string().max(200).optional(),
  status: runStatus.optional(),
  ...page,
});
const reportQuery = z.object({ part: z.enum(['data', 'errors', 'all']).default('all') });

export const runSchema = z.strictObject({
  id: z.string(),
  connectionId: z.string(),
  kind: z.enum(['bulk', 'manual']),
  triggerId: z.string().optional(),
  status: runStatus.describe('`running` until every event sent has its outcome from the partner'),
  total: z.number().int().describe('Entities the run covers'),
  processed: z.number().int().describe('Entities done: decided here, or with their outcome from the partner'),
  pending: z.number().int().describe('Events sent and still without their outcome'),
  created: z.number().int().describe('Created by the partner'),
  updated: z.number().int().describe('Updated by the partner'),
  skipped: z.number().int(),
  errors: z.number().int().describe('Failed here (outgoing rule) or at the partner'),
  warnings: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const R = 'Runs';
export const runOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listRuns',
    tag: R,
    summary: 'Sync runs, node-wide or of one connection or trigger, newest first',
    query: runsQuery,
    responses: { 200: listOf(runSchema) },
    problems: [400, 422],
  }),
  operation({
    method: 'get',
    path: '/:id',
    operationId: 'getRun',
    tag: R,
    summary: 'One run',
    responses: { 200: runSchema },
    problems: [404],
  }),
  operation({
    method: 'post',
    path: '/:id/cancel',
    operationId: 'cancelRun',
    tag: R,
    summary: 'Stop queueing what the run has not sent; what it sent still gets its outcome',
    description: '409 `run_not_running` when it is over.',
    responses: { 200: runSchema },
    problems: [404, 409],
    role: 'rules',
    audit: 'run.cancelled',
  }),
  operation({
    method: 'get',
    path: '/:id/report.csv',
    operationId: 'getRunReport',
    tag: R,
    summary: 'The run report as CSV: what the partner applied, skipped, and the errors',
    query: reportQuery,
    responses: { 200: 'text/csv' },
    problems: [404, 422],
  }),
];

/** Sync runs and their reports, under /api/runs. */
export const runRoutes = ({ db, engine }: { db: Db; engine: SyncEngine }) =>
  new Hono<AppEnv>()
    .get('/', queryOf(runsQuery), async (c) => {
      const q = c.req.valid('query');
      const offset = offsetOf(q.cursor);
      const { rows, more } = await listRuns(db, q, q.limit, offset);
      return c.json(paged(rows.map(runJson), more, offset));
    })
    .get('/:id', async (c) => {
      const run = await getRun(db, c.req.param('id'));
      if (!run) throw notFound('Run', c.req.param('id'));
      return c.json(runJson(run));
    })
    .post('/:id/cancel', async (c) => c.json(runJson(await engine.cancelRun(c.req.param('id')))))
    .get('/:id/report.csv', queryOf(reportQuery), async (c) => {
      const q = c.req.valid('query');
      const run = await getRun(db, c.req.param('id'));
      if (!run) throw notFound('Run', c.req.param('id'));
      const csv = runReportCsv(run.id, await runReport(db, run.id), q.part);
      return c.body(csv, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="run-${run.id}-${q.part}.csv"`,
      });
    });
