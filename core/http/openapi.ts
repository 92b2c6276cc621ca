// The admin API as an OpenAPI 3.1 document, served at GET /api/openapi.json: generated from the route modules'
// schemas where they publish them (GENERATED), hand-written for the rest until they move; tests/openapi.test.ts keeps it true.
import { Hono } from 'hono';
import { entitySyncOperations } from '../sync/routes.ts';
import { TANDEM_VERSION } from '../version.ts';
import type { AppEnv } from './app-env.ts';
import { type Operation as ContractOperation, pathItems } from './contract.ts';
import { entityOperations } from './routes/entities.ts';
import { nodeOperations } from './routes/node.ts';
import { publicOperations } from './routes/public.ts';
import { sessionOperations } from './routes/session.ts';

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: Schema) => ({ description, ...json(schema) });
const list = (item: string): Schema => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: 'string' } },
});
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: 'null' }] });
const idParam = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `The ${what} id`,
  schema: str,
});
const query = (name: string, schema: Schema, description: string) => ({
  name,
  in: 'query',
  schema,
  description,
});
const pageParams = [
  query('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'Page size'),
  query('cursor', str, 'The `nextCursor` of the previous page'),
];

/** Problem responses every admin route may give, plus the ones an operation names. */
function problems(...statuses: number[]) {
  const out: Record<string, unknown> = {};
  for (const s of [401, ...statuses]) out[String(s)] = { $ref: `#/components/responses/Problem${s}` };
  return out;
}

function op(
  tag: string,
  operationId: string,
  summary: string,
  responses: Record<string, unknown>,
  extra: { body?: Schema; params?: unknown[]; description?: string; security?: unknown[] } = {},
): Operation {
  return {
    tags: [tag],
    operationId,
    summary,
    ...(extra.description ? { description: extra.description } : {}),
    ...(extra.params ? { parameters: extra.params } : {}),
    ...(extra.body ? { requestBody: { required: true, ...json(extra.body) } } : {}),
    ...(extra.security ? { security: extra.security } : {}),
    responses,
  };
}

const entityType: Schema = {
  type: 'string',
  enum: ['incident', 'case', 'change', 'problem', 'ci', 'request', 'user'],
};
const modeEnum: Schema = { type: 'string', enum: ['basic', 'visual', 'script'] };
const linkStatus: Schema = {
  oneOf: [{ type: 'string', enum: ['not_onboarded', 'up', 'slow', 'down'] }, { type: 'null' }],
};

const schemas: Record<string, Schema> = {
  Problem: obj(
    {
      type: str,
      title: str,
      status: int,
      detail: str,
      code: { type: 'string', description: 'Stable machine code, e.g. `invitation_expired`' },
      errors: { type: 'array', items: obj({ path: str, message: str }) },
    },
    ['type', 'title', 'status', 'detail', 'code'],
  ),
  WellKnown: obj(
    {
      nodeId: str,
      name: str,
      version: str,
      protocol: int,
      modes: { type: 'array', items: modeEnum },
      publicKey: { type: 'object', description: 'Ed25519 public key (JWK)' },
      linkPath: str,
    },
    ['nodeId', 'name', 'version', 'protocol', 'modes', 'publicKey', 'linkPath'],
  ),
  Node: obj({ nodeId: str, name: str, publicUrl: nullable(str), fingerprint: str, version: str }, [
    'nodeId',
    'name',
    'publicUrl',
    'fingerprint',
    'version',
  ]),
  Probe: {
    allOf: [
      ref('WellKnown'),
      obj(
        {
          url: { type: 'string', description: 'The base URL that was probed' },
          fingerprint: str,
          self: { type: 'boolean', description: 'True when the URL is this host itself' },
          commonModes: { type: 'array', items: modeEnum, description: 'The modes both hosts offer' },
        },
        ['url', 'fingerprint', 'self', 'commonModes'],
      ),
    ],
  },
  Connection: obj(
    {
      id: str,
      name: str,
      description: str,
      mode: modeEnum,
      state: {
        type: 'string',
        enum: [
          'pending',
          'awaiting_validation',
          'validated',
          'validation_failed',
          'active',
          'deactivated',
          'error',
        ],
      },
      outbound: linkStatus,
      inbound: linkStatus,
      localName: str,
      remoteName: str,
      role: { type: 'string', enum: ['inviter', 'acceptor'] },
      peer: obj({
        nodeId: nullable(str),
        url: nullable(str),
        name: nullable(str),
        fingerprint: nullable(str),
      }),
      link: obj({ up: bool, since: nullable(time), rttMs: nullable({ type: 'number' }), dials: bool }),
      onboarding: {
        ...nullable(obj({ message: str, at: time })),
        description:
          '"Provider onboarding started", "Syncing settings to complete onboarding", "Onboarding complete"',
      },
      lastError: nullable(str),
      invitation: obj({ id: str, expiresAt: time, usedAt: nullable(time) }),
      createdAt: time,
      updatedAt: time,
      counts: obj({ queuedOut: int, queuedIn: int, errors: int, twins: int }, [
        'queuedOut',
        'queuedIn',
        'errors',
        'twins',
      ]),
    },
    [
      'id',
      'name',
      'mode',
      'state',
      'outbound',
      'inbound',
      'localName',
      'remoteName',
      'peer',
      'createdAt',
      'counts',
    ],
  ),
  NewConnection: obj(
    {
      destinationUrl: { ...nullable(str), description: 'The other host, or null: "I don\'t have a URL"' },
      mode: modeEnum,
      localName: str,
      remoteName: str,
      name: str,
      description: str,
      expiresInHours: { type: 'number', default: 72 },
    },
    ['destinationUrl', 'mode', 'localName', 'remoteName', 'name'],
  ),
  InvitationSummary: obj(
    {
      valid: { type: 'boolean', description: 'Whether this host could accept the code now' },
      refusal: { ...nullable(obj({ code: str, message: str })), description: 'Why not, when not valid' },
      id: str,
      inviterNodeId: str,
      inviterName: str,
      inviterUrl: nullable(str),
      inviterFingerprint: str,
      destinationNodeId: { ...nullable(str), description: 'Set when the code is bound to one host' },
      mode: modeEnum,
      localName: { type: 'string', description: "The inviter's short name for itself" },
      remoteName: { type: 'string', description: "The inviter's short name for the acceptor" },
      suggested: obj({ localName: str, remoteName: str }),
      name: str,
      description: str,
      issuedAt: time,
      expiresAt: time,
    },
    ['valid', 'inviterNodeId', 'mode', 'name', 'expiresAt'],
  ),
  HealthReport: obj(
    {
      state: str,
      checks: { type: 'array', items: obj({ name: str, ok: bool, detail: str, fix: str }, ['name', 'ok']) },
    },
    ['state', 'checks'],
  ),
  ScriptRules: obj({ outgoing: str, incoming: str }, ['outgoing', 'incoming']),
  VisualRules: obj(
    {
      mappings: {
        type: 'array',
        items: obj(
          {
            local: str,
            remote: str,
            direction: { type: 'string', enum: ['both', 'out', 'in'] },
            values: { type: 'object', additionalProperties: true },
            default: {},
          },
          ['local', 'remote', 'direction'],
        ),
      },
      scope: {},
    },
    ['mappings'],
  ),
  RuleSet: { oneOf: [ref('ScriptRules'), ref('VisualRules'), { type: 'object' }] },
  Rules: obj(
    {
      mode: modeEnum,
      version: { type: ['integer', 'string'] },
      draft: ref('RuleSet'),
      published: ref('RuleSet'),
    },
    ['mode', 'version', 'published'],
  ),
  RuleTestResult: {
    type: 'object',
    description: 'The replica and the change the rules would make; nothing is written',
    additionalProperties: true,
  },
  Trigger: obj({ id: str, connectionId: str, entityType: str, query: str, active: bool }, [
    'id',
    'entityType',
    'query',
    'active',
  ]),
  NewTrigger: obj({ entityType: str, query: str, active: bool }, ['entityType', 'query']),
  RunRef: obj({ runId: str }, ['runId']),
  EntityIds: obj({ entityIds: { type: 'array', items: str, minItems: 1 } }, ['entityIds']),
  QueueItem: { type: 'object', additionalProperties: true },
  SyncError: obj(
    {
      id: str,
      level: { type: 'string', enum: ['entity', 'connection', 'node'] },
      connectionId: nullable(str),
      entityId: nullable(str),
      message: str,
      scriptLine: nullable(int),
      occurredAt: time,
      status: { type: 'string', enum: ['open', 'resolved'] },
    },
    ['id', 'level', 'message', 'occurredAt', 'status'],
  ),
  Run: obj(
    {
      id: str,
      kind: str,
      status: str,
      processed: int,
      created: int,
      updated: int,
      skipped: int,
      errors: int,
      warnings: int,
      startedAt: time,
      finishedAt: nullable(time),
    },
    ['id', 'kind', 'status', 'processed', 'created', 'updated', 'skipped', 'errors', 'warnings', 'startedAt'],
  ),
  Comment: obj({ id: str, author: str, body: str, internal: bool, createdAt: time }, [
    'id',
    'author',
    'body',
    'internal',
    'createdAt',
  ]),
  EntityFields: {
    type: 'object',
    properties: {
      summary: { type: 'string', maxLength: 500 },
      description: str,
      status: str,
      priority: { type: 'integer', minimum: 1, maximum: 5 },
      assignee: nullable(str),
    },
    additionalProperties: { description: 'Custom fields: any JSON value' },
  },
  Entity: obj(
    {
      id: str,
      key: { type: 'string', examples: ['INC-1'] },
      type: entityType,
      fields: ref('EntityFields'),
      comments: { type: 'array', items: ref('Comment') },
      version: int,
      createdAt: time,
      updatedAt: time,
    },
    ['id', 'key', 'type', 'fields', 'comments', 'version', 'createdAt', 'updatedAt'],
  ),
  Twin: obj(
    {
      connectionId: str,
      remoteId: str,
      remoteKey: nullable(str),
      lastSyncedAt: nullable(time),
      localReplica: {},
      remoteReplica: {},
      status: str,
    },
    ['connectionId', 'remoteId', 'status'],
  ),
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

const T = {
  node: 'Node',
  conn: 'Connections',
  inv: 'Invitations',
  rules: 'Rules',
  sync: 'Sync',
  errors: 'Errors',
  runs: 'Runs',
  entities: 'Entities',
  session: 'Session',
  public: 'Public',
};

const connId = [idParam('connection')];

/** Routes whose schemas are the route modules' own (core/http/contract.ts): generated, never written here. */
export const GENERATED: ReadonlyArray<[prefix: string, ops: readonly ContractOperation[]]> = [
  ['', publicOperations],
  ['/api/session', sessionOperations],
  ['/api/node', nodeOperations],
  ['/api/entities', entityOperations],
  ['/api/entities', entitySyncOperations],
];

/** Hand-written descriptions of the routes not yet moved to their modules' schemas. */
const handWritten: Record<string, Record<string, Operation>> = {
  '/metrics': {
    get: op(
      T.public,
      'getMetrics',
      'Prometheus metrics',
      {
        200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: str } } },
        ...problems(),
      },
      {
        security: [{ bearer: [] }, { metricsToken: [] }],
        description: 'Needs the admin token or the metrics token (`TANDEM_METRICS_TOKEN`).',
      },
    ),
  },
  '/api/openapi.json': {
    get: op(T.public, 'getOpenApi', 'This document', {
      200: ok('OpenAPI 3.1', { type: 'object' }),
      ...problems(),
    }),
  },
  '/api/probe': {
    get: op(
      T.node,
      'probe',
      "A destination's well-known document and the modes both hosts offer",
      { 200: ok('Probe', ref('Probe')), ...problems(422, 502) },
      { params: [{ ...query('url', str, 'Destination URL'), required: true }] },
    ),
  },
  '/api/connections': {
    get: op(T.conn, 'listConnections', 'All connections', {
      200: ok('Connections', list('Connection')),
      ...problems(),
    }),
    post: op(
      T.conn,
      'initiateConnection',
      'Initiate a connection and get its invitation code',
      {
        201: ok(
          'Created (state pending); the code is a bearer secret until used',
          obj({ connection: ref('Connection'), invitationCode: str }, ['connection', 'invitationCode']),
        ),
        ...problems(422, 502),
      },
      { body: ref('NewConnection') },
    ),
  },
  '/api/connections/{id}': {
    get: op(
      T.conn,
      'getConnection',
      'One connection',
      { 200: ok('Connection', ref('Connection')), ...problems(404) },
      {
        params: connId,
      },
    ),
    delete: op(
      T.conn,
      'deleteConnection',
      'Delete; twins are unlinked, entity data stays on both sides',
      { 204: { description: 'Deleted' }, ...problems(404) },
      { params: connId },
    ),
  },
  '/api/connections/{id}/deactivate': {
    post: op(
      T.conn,
      'deactivateConnection',
      'Pause; changes keep queueing',
      { 200: ok('Connection', ref('Connection')), ...problems(404, 409) },
      { params: connId },
    ),
  },
  '/api/connections/{id}/activate': {
    post: op(
      T.conn,
      'activateConnection',
      'Resume; queued changes are applied',
      { 200: ok('Connection', ref('Connection')), ...problems(404, 409) },
      { params: connId },
    ),
  },
  '/api/connections/{id}/health': {
    get: op(
      T.conn,
      'getHealth',
      'Health checks',
      { 200: ok('Checks', ref('HealthReport')), ...problems(404) },
      {
        params: connId,
      },
    ),
  },
  '/api/connections/{id}/validate': {
    post: op(
      T.conn,
      'validateConnection',
      'Run the health checks again',
      { 200: ok('Checks', ref('HealthReport')), ...problems(404, 409) },
      { params: connId },
    ),
  },
  '/api/invitations/inspect': {
    post: op(
      T.inv,
      'inspectInvitation',
      'What a code says, without side effects',
      { 200: ok('Invitation', ref('InvitationSummary')), ...problems(400, 410, 422) },
      { body: obj({ code: str }, ['code']) },
    ),
  },
  '/api/invitations/accept': {
    post: op(
      T.inv,
      'acceptInvitation',
      'Accept a code: verify, complete the handshake, pin the inviter',
      {
        201: ok('Accepted', obj({ connection: ref('Connection') }, ['connection'])),
        ...problems(400, 409, 410, 422, 429, 502),
      },
      {
        body: obj(
          { code: str, publicUrl: { ...nullable(str), description: 'Our URL, when the inviter has none' } },
          ['code'],
        ),
        description:
          'Refusals carry codes such as `invitation_expired`, `invitation_used`, `invalid_signature`.',
      },
    ),
  },
  '/api/connections/{id}/rules': {
    get: op(
      T.rules,
      'getRules',
      'Published rules and the draft',
      { 200: ok('Rules', ref('Rules')), ...problems(404) },
      {
        params: connId,
      },
    ),
    put: op(
      T.rules,
      'putRules',
      'Save a draft or publish (Basic: 409 mode_not_editable; a script that does not compile: 422 with line and column)',
      { 200: ok('Rules', ref('Rules')), ...problems(404, 409, 422) },
      {
        params: connId,
        body: { allOf: [ref('RuleSet'), obj({ publish: bool })] },
      },
    ),
  },
  '/api/connections/{id}/rules/test': {
    post: op(
      T.rules,
      'testRules',
      'Run the rules on a real entity without writing',
      { 200: ok('Result', ref('RuleTestResult')), ...problems(404, 422) },
      {
        params: connId,
        body: obj({ entityId: str, direction: { type: 'string', enum: ['outgoing', 'incoming'] } }, [
          'entityId',
        ]),
      },
    ),
  },
  '/api/connections/{id}/triggers': {
    get: op(
      T.sync,
      'listTriggers',
      'Triggers of a connection',
      { 200: ok('Triggers', list('Trigger')), ...problems(404) },
      {
        params: connId,
      },
    ),
    post: op(
      T.sync,
      'createTrigger',
      'Add a trigger (a filter such as `type = "incident" AND priority <= 2`)',
      { 201: ok('Trigger', ref('Trigger')), ...problems(404, 422) },
      { params: connId, body: ref('NewTrigger') },
    ),
  },
  '/api/triggers/{id}': {
    patch: op(
      T.sync,
      'updateTrigger',
      'Change a trigger',
      { 200: ok('Trigger', ref('Trigger')), ...problems(404, 422) },
      { params: [idParam('trigger')], body: obj({ entityType: str, query: str, active: bool }) },
    ),
    delete: op(
      T.sync,
      'deleteTrigger',
      'Delete a trigger',
      { 204: { description: 'Deleted' }, ...problems(404) },
      {
        params: [idParam('trigger')],
      },
    ),
  },
  '/api/triggers/{id}/bulk-sync': {
    post: op(
      T.sync,
      'bulkSync',
      'Sync everything the trigger matches now',
      { 202: ok('Started', ref('RunRef')), 200: ok('Started', ref('RunRef')), ...problems(404, 409) },
      { params: [idParam('trigger')] },
    ),
  },
  '/api/connections/{id}/sync': {
    post: op(
      T.sync,
      'syncEntities',
      'Sync entities by hand',
      { 202: ok('Started', ref('RunRef')), 200: ok('Started', ref('RunRef')), ...problems(404, 409, 422) },
      { params: connId, body: ref('EntityIds') },
    ),
  },
  '/api/connections/{id}/unsync': {
    post: op(
      T.sync,
      'unsyncEntities',
      'Unlink twins; entities stay',
      { 200: ok('Done', { type: 'object' }), ...problems(404, 422) },
      { params: connId, body: ref('EntityIds') },
    ),
  },
  '/api/connections/{id}/queue': {
    get: op(
      T.sync,
      'getQueue',
      'Events waiting in the outbox or inbox',
      { 200: ok('Queue', list('QueueItem')), ...problems(404, 422) },
      {
        params: [
          ...connId,
          query('direction', { type: 'string', enum: ['out', 'in'] }, 'Which queue'),
          ...pageParams,
        ],
      },
    ),
  },
  '/api/errors': {
    get: op(
      T.errors,
      'listErrors',
      'Recorded errors',
      { 200: ok('Errors', list('SyncError')), ...problems(422) },
      {
        params: [
          query('connectionId', str, 'Only this connection'),
          query('status', { type: 'string', enum: ['open', 'resolved'] }, 'Only this status'),
          ...pageParams,
        ],
      },
    ),
  },
  '/api/errors/{id}/retry': {
    post: op(
      T.errors,
      'retryError',
      'Replay from the failed event',
      { 200: ok('Error', ref('SyncError')), ...problems(404, 409) },
      { params: [idParam('error')] },
    ),
  },
  '/api/errors/{id}/resolve': {
    post: op(
      T.errors,
      'resolveError',
      'Skip the failed event',
      { 200: ok('Error', ref('SyncError')), ...problems(404, 409) },
      { params: [idParam('error')] },
    ),
  },
  '/api/runs': {
    get: op(
      T.runs,
      'listRuns',
      'Sync runs',
      { 200: ok('Runs', list('Run')), ...problems(422) },
      {
        params: [query('connectionId', str, 'Only this connection'), ...pageParams],
      },
    ),
  },
  '/api/runs/{id}': {
    get: op(
      T.runs,
      'getRun',
      'One run',
      { 200: ok('Run', ref('Run')), ...problems(404) },
      { params: [idParam('run')] },
    ),
  },
  '/api/runs/{id}/report.csv': {
    get: op(
      T.runs,
      'getRunReport',
      'The run report as CSV',
      { 200: { description: 'CSV', content: { 'text/csv': { schema: str } } }, ...problems(404, 422) },
      {
        params: [
          idParam('run'),
          query(
            'part',
            { type: 'string', enum: ['data', 'errors', 'all'], default: 'all' },
            'What to export',
          ),
        ],
      },
    ),
  },
};

/** The OpenAPI 3.1 document of the whole admin API (and the public routes). */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Tandem admin API',
    version: TANDEM_VERSION,
    description:
      'The admin API of a Tandem host. JSON everywhere; lists are `{items, nextCursor?}`; errors are ' +
      '`application/problem+json` with a stable `code`. See docs/admin-api.md.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }, { session: [] }],
  tags: Object.values(T).map((name) => ({ name })),
  paths: { ...handWritten, ...pathItems(GENERATED) } as Record<string, Record<string, unknown>>,
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'The admin token' },
      session: { type: 'apiKey', in: 'cookie', name: 'tandem_session', description: 'The console session' },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'TANDEM_METRICS_TOKEN (reads /metrics only)',
      },
    },
    schemas,
    responses: Object.fromEntries(
      [
        [400, 'Bad request (e.g. invalid_json)'],
        [401, 'unauthorized: no valid admin token or session'],
        [404, 'not_found'],
        [409, 'Conflict (e.g. mode_not_editable, invitation_used)'],
        [410, 'Gone (e.g. invitation_expired)'],
        [422, 'validation_failed, with `errors: [{path, message}]`'],
        [429, 'rate_limited'],
        [502, 'The other host could not be reached'],
      ].map(([s, d]) => [`Problem${s}`, problemResponse(String(d))]),
    ),
  },
} as const;

export const openApiRoutes = new Hono<AppEnv>().get('/', (c) => c.json(openApiDocument));
