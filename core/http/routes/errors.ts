// The admin API of sync errors (ours and the partner's on our events): list, retry, resolve, one or all a filter matches.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import type { SyncEngine } from '../../sync/engine.ts';
import { errorsJson, listErrors } from '../../sync/error-list.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import { actorOf } from '../actor.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';
import type { BulkErrors } from '../errors-by-holder.ts';
import { listOf, offsetOf, page, paged } from './list-paging.ts';

const filterFields = {
  connectionId: z.string().max(200).optional(),
  status: z.enum(['open', 'resolved']).optional(),
  level: z.enum(['entity', 'connection', 'node']).optional(),
  side: z
    .enum(['here', 'peer'])
    .optional()
    .describe("`here`: this host's errors; `peer`: the partner's errors on our events (read-only here)"),
  q: z.string().max(200).optional().describe("Words of the message, or an entity's key or id on either side"),
};
const errorsQuery = z.object({ ...filterFields, ...page });
const errorFilter = z.object(filterFields);

export const syncErrorSchema = z.strictObject({
  id: z.string(),
  level: z.enum(['entity', 'connection', 'node']),
  side: z.enum(['here', 'peer']),
  connectionId: z.string().nullable(),
  entityId: z.string().optional(),
  remoteId: z.string().optional(),
  entityKey: z.string().nullable().describe("Our entity's key"),
  entitySummary: z.string().nullable(),
  remoteKey: z.string().nullable().describe("The partner's key of its entity"),
  direction: z.enum(['out', 'in']).nullable(),
  message: z.string(),
  script: z.string().optional(),
  scriptLine: z.number().int().optional(),
  eventSeq: z.number().int().optional(),
  attempts: z.number().int().describe('How often it was tried: a failed retry counts one more'),
  occurredAt: z.string(),
  status: z.enum(['open', 'resolved']),
  resolvedAt: z.string().optional(),
  resolvedBy: z.string().optional(),
  resolution: z.string().optional().describe('retried, skipped, recovered, superseded, connection_deleted'),
});

const bulkResultSchema = z.strictObject({
  matched: z.number().int().describe('Open errors the filter matched (at most 1,000 per call)'),
  resolved: z.number().int(),
  open: z.number().int().describe('Still open: failed again (one more attempt) or could not run now'),
  atPeer: z.number().int().describe("The partner's errors among them: left as they are"),
  more: z.boolean().describe('More open errors match: call again'),
});

const E = 'Errors';
export const errorOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listErrors',
    tag: E,
    summary: "Recorded errors, this host's and the partner's on our events",
    query: errorsQuery,
    responses: { 200: listOf(syncErrorSchema) },
    problems: [400, 422],
  }),
  operation({
    method: 'post',
    path: '/retry',
    operationId: 'retryErrors',
    tag: E,
    summary: 'Retry every open error the filter matches (the partner’s are left to the partner)',
    body: errorFilter,
    responses: { 200: bulkResultSchema },
    problems: [415, 422],
    role: 'rules',
    audit: 'error.retried',
  }),
  operation({
    method: 'post',
    path: '/resolve',
    operationId: 'resolveErrors',
    tag: E,
    summary: 'Resolve (skip) every open error the filter matches (the partner’s are left to the partner)',
    body: errorFilter,
    responses: { 200: bulkResultSchema },
    problems: [415, 422],
    role: 'rules',
    audit: 'error.resolved',
  }),
  operation({
    method: 'post',
    path: '/:id/retry',
    operationId: 'retryError',
    tag: E,
    summary: 'Replay from the failed event; answers once the replay is done',
    description:
      'Resolved when the replay works; a replay that fails again counts one more attempt on the same error. ' +
      "409 `error_not_open`; 409 `error_at_peer` for the partner's error (retry it on the partner's host).",
    responses: { 200: syncErrorSchema },
    problems: [404, 409],
    role: 'rules',
    audit: 'error.retried',
  }),
  operation({
    method: 'post',
    path: '/:id/resolve',
    operationId: 'resolveError',
    tag: E,
    summary: 'Skip the failed event',
    description: "409 `error_not_open`; 409 `error_at_peer` for the partner's error.",
    responses: { 200: syncErrorSchema },
    problems: [404, 409],
    role: 'rules',
    audit: 'error.resolved',
  }),
];

/** Sync errors (ours and the peer's), under /api/errors. */
export const errorRoutes = ({
  engine,
  db,
  tracker,
  bulk,
}: {
  engine: SyncEngine;
  db: Db;
  tracker: Tracker;
  /** Retry all / resolve all over the node's processes (errors-by-holder.ts). */
  bulk: BulkErrors;
}) => {
  const one = async (row: Awaited<ReturnType<SyncEngine['retryError']>>) =>
    (await errorsJson(db, tracker, row ? [row] : []))[0]!;
  return new Hono<AppEnv>()
    .get('/', queryOf(errorsQuery), async (c) => {
      const q = c.req.valid('query');
      const offset = offsetOf(q.cursor);
      const { rows, more } = await listErrors(db, { ...q, offset });
      return c.json(paged(await errorsJson(db, tracker, rows), more, offset));
    })
    .post('/retry', jsonBody(errorFilter), async (c) => c.json(await bulk('retry', c.req.valid('json'), c)))
    .post('/resolve', jsonBody(errorFilter), async (c) =>
      c.json(await bulk('resolve', c.req.valid('json'), c)),
    )
    .post('/:id/retry', async (c) =>
      c.json(await one(await engine.retryError(c.req.param('id'), actorOf(c)))),
    )
    .post('/:id/resolve', async (c) =>
      c.json(await one(await engine.resolveError(c.req.param('id'), actorOf(c)))),
    );
};
