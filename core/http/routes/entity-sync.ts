// An entity's sync as the admin API shows it: its twins with their status, the partner's comments, its event history.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import { notFound } from '../../errors.ts';
import { partnerDeletionsOf } from '../../sync/content/mirrored.ts';
import { entityHistory } from '../../sync/event-log.ts';
import { parseJson } from '../../sync/json.ts';
import { twinStatuses } from '../../sync/twin-status.ts';
import { twinsOfEntity } from '../../sync/twins.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';
import { listOf, offsetOf, page, paged } from './list-paging.ts';

export const twinStatusSchema = z
  .enum(['synced', 'pending', 'error_here', 'error_at_peer', 'unlinked'])
  .describe(
    '`error_here`: an open error of ours; `error_at_peer`: the partner failed our change; `pending`: an event either way has no outcome yet',
  );

export const twinSchema = z.strictObject({
  connectionId: z.string(),
  remoteId: z.string().nullable(),
  remoteKey: z.string().nullable(),
  lastSyncedAt: z.string().nullable(),
  localReplica: z.unknown(),
  remoteReplica: z.unknown(),
  status: twinStatusSchema,
  manual: z.boolean(),
  /** The partner deleted its entity: this one was kept, unlinked (status `unlinked`). */
  deletedAtPartner: z.boolean().optional(),
});

const partnerCommentSchema = z.strictObject({
  commentId: z.string().describe('Our copy of a comment the partner wrote'),
  connectionId: z.string(),
});

export const historyItemSchema = z.strictObject({
  connectionId: z.string(),
  direction: z.enum(['out', 'in']).describe('`out`: our change sent; `in`: the partner’s change received'),
  seq: z.number().int(),
  kind: z.string(),
  outcome: z.enum(['pending', 'applied', 'skipped', 'failed']),
  action: z.string().nullable().describe('created, updated, unchanged, unlinked or refused'),
  message: z.string().nullable(),
  errorId: z.string().nullable(),
  runId: z.string().nullable(),
  remoteId: z.string().nullable(),
  remoteKey: z.string().nullable(),
  queuedAt: z.string().describe('When it was queued (out) or received (in)'),
  outcomeAt: z.string().nullable(),
});
const historyQuery = z.object({ connectionId: z.string().max(200).optional(), ...page });

export const entitySyncOperations = [
  operation({
    method: 'get',
    path: '/:id/sync',
    operationId: 'entityTwins',
    tag: 'Entities',
    summary: "An entity's twins on every connection, with their status, and the comments the partner wrote",
    responses: {
      200: z.strictObject({ items: z.array(twinSchema), partnerComments: z.array(partnerCommentSchema) }),
    },
    problems: [404],
  }),
  operation({
    method: 'get',
    path: '/:id/history',
    operationId: 'entityHistory',
    tag: 'Entities',
    summary: 'Every event of the entity each way, with its outcome, newest first',
    query: historyQuery,
    responses: { 200: listOf(historyItemSchema) },
    problems: [400, 404, 422],
  }),
];

/** An entity's twins and sync history, under /api/entities. */
export const entitySyncRoutes = ({ db, tracker }: { db: Db; tracker: Tracker }) => {
  async function mustExist(id: string, known: boolean) {
    if (!known && !(await tracker.get(id))) throw notFound('Entity', id);
  }
  return new Hono<AppEnv>()
    .get('/:id/sync', async (c) => {
      const id = c.req.param('id');
      const twins = await twinsOfEntity(db, id);
      await mustExist(id, twins.length > 0);
      const items: Array<z.output<typeof twinSchema>> = [];
      for (const t of twins) {
        const status = await twinStatuses(db, t.connection_id, [{ localId: id, remoteId: t.remote_id }]);
        items.push({
          connectionId: t.connection_id,
          remoteId: t.remote_id,
          remoteKey: t.remote_key,
          lastSyncedAt: t.last_synced_at,
          localReplica: parseJson(t.local_replica, null),
          remoteReplica: parseJson(t.remote_replica, null),
          status: status.get(id) ?? 'pending',
          manual: t.manual === 1,
        });
      }
      items.push(...(await unlinked(db, id, new Set(twins.map((t) => t.connection_id)))));
      // A twin ended by a deletion at the partner says so (its entity was kept here).
      for (const d of await partnerDeletionsOf(db, id)) {
        const i = items.findIndex((t) => t.connectionId === d.connectionId && t.status === 'unlinked');
        if (i >= 0) items[i] = { ...items[i]!, ...d };
        else if (!items.some((t) => t.connectionId === d.connectionId)) items.push(d);
      }
      const comments = await db
        .selectFrom('sync_comment_links')
        .select(['local_comment_id', 'connection_id'])
        .where('entity_id', '=', id)
        .execute();
      return c.json({
        items,
        partnerComments: comments.map((r) => ({
          commentId: r.local_comment_id,
          connectionId: r.connection_id,
        })),
      });
    })
    .get('/:id/history', queryOf(historyQuery), async (c) => {
      const id = c.req.param('id');
      const q = c.req.valid('query');
      const offset = offsetOf(q.cursor);
      const { rows, more } = await entityHistory(db, id, { ...q, offset });
      await mustExist(id, rows.length > 0);
      const items = rows.map((r) => ({
        connectionId: r.connection_id,
        direction: r.direction,
        seq: r.seq,
        kind: r.kind,
        outcome: r.outcome,
        action: r.action,
        message: r.message,
        errorId: r.error_id,
        runId: r.run_id,
        remoteId: r.remote_id,
        remoteKey: r.remote_key,
        queuedAt: r.created_at,
        outcomeAt: r.outcome_at,
      }));
      return c.json(paged(items, more, offset));
    });
};

/** Connections the entity was synced on and is no longer (its events are logged there, it has no twin). */
async function unlinked(db: Db, entityId: string, linked: Set<string>) {
  const conns = await db
    .selectFrom('sync_event_log as l')
    .innerJoin('connections as c', 'c.id', 'l.connection_id')
    .select('l.connection_id')
    .distinct()
    .where('l.entity_id', '=', entityId)
    .execute();
  const out: Array<z.output<typeof twinSchema>> = [];
  for (const { connection_id } of conns) {
    if (linked.has(connection_id)) continue;
    const last = await db
      .selectFrom('sync_event_log')
      .select(['remote_id', 'remote_key', 'created_at'])
      .where('entity_id', '=', entityId)
      .where('connection_id', '=', connection_id)
      .where('remote_id', 'is not', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    out.push({
      connectionId: connection_id,
      remoteId: last?.remote_id ?? null,
      remoteKey: last?.remote_key ?? null,
      lastSyncedAt: last?.created_at ?? null,
      localReplica: null,
      remoteReplica: null,
      status: 'unlinked',
      manual: false,
    });
  }
  return out;
}
