// Admin routes of a connection's rules: read, edit (draft or publish), test-run.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db } from '../../../storage/schema.ts';
import type { RuleService } from '../../rules/rule-service.ts';
import { testRun, testRunBody } from '../../rules/test-run.ts';
import { trackerUserLookup } from '../../rules/user-lookup.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { ENTITY_TYPES, type Tracker } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';
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
      return c.json(
        await rules.save(c.req.param('id'), ruleSet, { publish: publish === true, origin: 'local' }),
      );
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
