// Admin routes of a connection's rules: read, edit (draft or publish), test-run, versions and roll back, known fields, linked entities.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import { ruleSetDiff } from '../../audit/audit-detail.ts';
import { notFound } from '../../errors.ts';
import { knownFields } from '../../rules/known-fields.ts';
import type { RuleService } from '../../rules/rule-service.ts';
import { testRun, testRunBody } from '../../rules/test-run.ts';
import { trackerUserLookup } from '../../rules/user-lookup.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { twinStatuses } from '../../sync/twin-status.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';
import { twinStatusSchema } from './entity-sync.ts';
import { MODES } from './public.ts';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A Visual mode field mapping: `default` applies here, `remoteDefault` on the other side. */
export const mappingSchema = z.strictObject({
  local: z.string(),
  remote: z.string(),
  direction: z.enum(['both', 'out', 'in']),
  values: z
    .union([z.array(z.strictObject({ local: scalar, remote: scalar })), z.record(z.string(), scalar)])
    .optional(),
  default: scalar.optional(),
  remoteDefault: scalar.optional(),
});
const side = z.strictObject({ types: z.array(z.enum(ENTITY_TYPES)) });
export const visualScopeSchema = z.strictObject({ local: side, remote: side });

/** A rule set of the connection's mode: script `{outgoing, incoming}`, visual `{mappings, scope}`, basic `{fields}`. */
export const ruleSetSchema = z
  .strictObject({
    outgoing: z.string(),
    incoming: z.string(),
    mappings: z.array(mappingSchema),
    scope: visualScopeSchema,
    fields: z.array(z.string()),
  })
  .partial();

export const rulesViewSchema = z.strictObject({
  mode: z.enum(MODES),
  editable: z.boolean(),
  version: z.number().int(),
  published: ruleSetSchema,
  publishedAt: z.string(),
  origin: z.string().describe('`default`, `local` or `peer`: who published this version'),
  draft: ruleSetSchema.optional(),
  draftUpdatedAt: z.string().optional(),
});

/** The mode checks the rule set itself (shape, conflicts, compiles): 422 with the field, or line and column. */
const putBody = z
  .object({ publish: z.boolean().optional() })
  .catchall(z.unknown())
  .describe("The rule set of the connection's mode, and whether to publish it (default: save a draft)");

const record = z.record(z.string(), z.unknown());
export const testRunResultSchema = z.strictObject({
  direction: z.enum(['outgoing', 'incoming']),
  rules: z.enum(['draft', 'published']),
  source: z
    .enum(['editor', 'draft', 'published'])
    .describe('What ran: the `ruleSet` of the request (unsaved), the saved draft, or the published rules'),
  version: z.number().int(),
  ok: z.boolean(),
  error: z
    .strictObject({
      script: z.enum(['outgoing', 'incoming']),
      kind: z.enum(['throw', 'timeout', 'memory', 'output', 'crash']),
      message: z.string(),
      line: z.number().int().optional(),
      column: z.number().int().optional(),
    })
    .optional(),
  warnings: z.array(z.string()),
  replica: record.optional().describe('Outgoing: what would be sent. Incoming: the replica that was applied'),
  replicaSource: z.enum(['request', 'last_received', 'own_outgoing']).optional(),
  entity: record.optional().describe('Incoming: the entity as the rule left it'),
  change: z
    .strictObject({
      fields: record,
      comments: z.array(z.unknown()).optional(),
      unlink: z.boolean().optional(),
      firstSend: z.boolean().optional(),
    })
    .optional(),
});

export const ruleVersionSchema = z.strictObject({
  version: z.number().int(),
  origin: z.string().describe('`default`, `local` or `peer`: who published this version'),
  publishedAt: z.string(),
  rules: ruleSetSchema,
});
const versionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a cursor this route gave')
    .optional(),
});
const versionParam = z.object({ version: z.coerce.number().int().min(1) });

export const knownFieldSchema = z.strictObject({
  name: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'json']),
  standard: z.boolean().describe("One of the tracker's own fields (else a custom field seen on entities)"),
  values: z.array(z.union([z.string(), z.number()])).describe('Distinct values seen on entities'),
});
const fieldsQuery = z.object({ type: z.enum(ENTITY_TYPES).optional() });

export const connectionTwinSchema = z.strictObject({
  entityId: z.string(),
  remoteId: z.string().nullable(),
  remoteKey: z.string().nullable(),
  status: twinStatusSchema,
  lastSyncedAt: z.string().nullable(),
});
const twinsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: z.string().max(200).optional(),
});

const T = 'Rules';
export const ruleOperations = [
  operation({
    method: 'get',
    path: '/:id/rules',
    operationId: 'getRules',
    tag: T,
    summary: 'Published rules and the draft',
    responses: { 200: rulesViewSchema },
    problems: [404],
  }),
  operation({
    method: 'put',
    path: '/:id/rules',
    operationId: 'putRules',
    tag: T,
    summary: 'Save a draft or publish',
    description: 'Basic: 409 `mode_not_editable`; a script that does not compile: 422 with line and column.',
    body: putBody,
    responses: { 200: rulesViewSchema },
    problems: [404, 409, 415, 422],
    role: 'rules',
    audit: 'rules.saved',
  }),
  operation({
    method: 'post',
    path: '/:id/rules/test',
    operationId: 'testRules',
    tag: T,
    summary: 'Run the rules on a real entity without writing',
    body: testRunBody,
    responses: { 200: testRunResultSchema },
    problems: [404, 415, 422, 503],
    role: 'rules',
    audit: { none: 'a test run writes nothing' },
  }),
  operation({
    method: 'get',
    path: '/:id/rules/versions',
    operationId: 'listRuleVersions',
    tag: T,
    summary: 'Published versions, newest first',
    query: versionsQuery,
    responses: {
      200: z.strictObject({ items: z.array(ruleVersionSchema), nextCursor: z.string().optional() }),
    },
    problems: [404, 422],
  }),
  operation({
    method: 'post',
    path: '/:id/rules/versions/:version/rollback',
    operationId: 'rollBackRules',
    tag: T,
    summary: 'Publish an older version again, as a new version',
    description: 'Basic: 409 `mode_not_editable`.',
    responses: { 200: rulesViewSchema },
    problems: [404, 409, 422],
    role: 'rules',
    audit: 'rules.published',
  }),
  operation({
    method: 'get',
    path: '/:id/rules/fields',
    operationId: 'listKnownFields',
    tag: T,
    summary: "Fields a rule can name: the tracker's, and custom ones seen on entities, with their values",
    query: fieldsQuery,
    responses: { 200: z.strictObject({ items: z.array(knownFieldSchema) }) },
    problems: [404, 422],
  }),
  operation({
    method: 'get',
    path: '/:id/twins',
    operationId: 'listConnectionTwins',
    tag: T,
    summary: 'The entities linked on this connection (to re-sync them after publishing)',
    query: twinsQuery,
    responses: {
      200: z.strictObject({ items: z.array(connectionTwinSchema), nextCursor: z.string().optional() }),
    },
    problems: [404, 422],
  }),
];

interface RuleRouteDeps {
  rules: RuleService;
  db: Db;
  tracker: Tracker;
  sandbox: Sandbox;
}

export const ruleRoutes = ({ rules, db, tracker, sandbox }: RuleRouteDeps) =>
  new Hono<AppEnv>()
    .get('/:id/rules', async (c) => c.json(await rules.get(c.req.param('id'))))
    .put('/:id/rules', jsonBody(putBody), async (c) => {
      const { publish, ...ruleSet } = c.req.valid('json');
      const before = publish === true ? await rules.get(c.req.param('id')) : undefined;
      const saved = await rules.save(c.req.param('id'), ruleSet, {
        publish: publish === true,
        origin: 'local',
      });
      c.var.audit?.note(
        before
          ? {
              action: 'rules.published',
              detail: {
                from: before.version,
                version: saved.version,
                diff: ruleSetDiff(before.published, saved.published),
              },
            }
          : { detail: { version: saved.version, draft: true } },
      );
      return c.json(saved);
    })
    .get('/:id/rules/versions', queryOf(versionsQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const found = await rules.versions(c.req.param('id'), {
        limit: limit + 1,
        ...(cursor ? { before: Number(cursor) } : {}),
      });
      const items = found.slice(0, limit).map((v) => ({
        version: v.version,
        origin: v.origin,
        publishedAt: v.publishedAt,
        rules: v.rules as z.output<typeof ruleSetSchema>,
      }));
      const last = items.at(-1);
      return c.json(found.length > limit && last ? { items, nextCursor: String(last.version) } : { items });
    })
    .post('/:id/rules/versions/:version/rollback', async (c) => {
      const parsed = versionParam.safeParse({ version: c.req.param('version') });
      if (!parsed.success) throw notFound('Rule version', c.req.param('version'));
      const before = await rules.get(c.req.param('id'));
      const saved = await rules.rollback(c.req.param('id'), parsed.data.version);
      c.var.audit?.note({
        detail: {
          rolledBackTo: parsed.data.version,
          from: before.version,
          version: saved.version,
          diff: ruleSetDiff(before.published, saved.published),
        },
      });
      return c.json(saved);
    })
    .get('/:id/rules/fields', queryOf(fieldsQuery), async (c) => {
      const { type } = c.req.valid('query');
      await rules.connection(c.req.param('id'));
      return c.json({ items: await knownFields(tracker, type ? [type] : []) });
    })
    .get('/:id/twins', queryOf(twinsQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const conn = await rules.connection(c.req.param('id'));
      let q = db
        .selectFrom('sync_twins')
        .select(['local_id', 'remote_id', 'remote_key', 'last_synced_at'])
        .where('connection_id', '=', conn.id);
      if (cursor) q = q.where('local_id', '>', cursor);
      const rows = await q
        .orderBy('local_id')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const statuses = await twinStatuses(
        db,
        conn.id,
        page.map((r) => ({ localId: r.local_id, remoteId: r.remote_id })),
      );
      const items = page.map((r) => ({
        entityId: r.local_id,
        remoteId: r.remote_id,
        remoteKey: r.remote_key,
        status: statuses.get(r.local_id) ?? 'pending',
        lastSyncedAt: r.last_synced_at,
      }));
      const last = items.at(-1);
      return c.json(rows.length > limit && last ? { items, nextCursor: last.entityId } : { items });
    })
    .post('/:id/rules/test', jsonBody(testRunBody), async (c) => {
      const body = c.req.valid('json');
      return c.json(
        await testRun(
          { db, tracker, rules, sandbox, host: trackerUserLookup(tracker) },
          c.req.param('id'),
          body,
        ),
      );
    });
