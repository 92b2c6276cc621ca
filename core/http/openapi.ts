// The admin API as an OpenAPI 3.1 document, served at GET /api/openapi.json: generated from the operations the
// route modules publish with their zod schemas (core/http/contract.ts); tests/openapi.test.ts keeps it true.
import { Hono } from 'hono';
import { z } from 'zod';
import { TANDEM_VERSION } from '../version.ts';
import type { AppEnv } from './app-env.ts';
import { components, type Operation, operation, pathItems } from './contract.ts';
import { accountOperations } from './routes/account.ts';
import { connectionActivityOperations, dashboardOperations } from './routes/activity.ts';
import { attachmentOperations, entityAttachmentOperations } from './routes/attachments.ts';
import { auditOperations } from './routes/audit.ts';
import { connectionOperations } from './routes/connections.ts';
import { entityOperations } from './routes/entities.ts';
import { invitationOperations } from './routes/invitations.ts';
import { metricsOperations } from './routes/metrics.ts';
import { nodeOperations } from './routes/node.ts';
import { notificationOperations } from './routes/notifications.ts';
import { probeOperations } from './routes/probe.ts';
import { publicOperations } from './routes/public.ts';
import { ruleOperations } from './routes/rules.ts';
import { sessionOperations } from './routes/session.ts';
import {
  connectionSyncOperations,
  entitySyncOperations,
  errorOperations,
  runOperations,
  triggerOperations,
} from './routes/sync.ts';
import { tokenOperations } from './routes/tokens.ts';
import { trackerOperations } from './routes/tracker.ts';
import { trackerCredentialOperations } from './routes/tracker-credentials.ts';
import { userOperations } from './routes/users.ts';

const openApiOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getOpenApi',
    tag: 'Public',
    summary: 'This document',
    responses: { 200: z.record(z.string(), z.unknown()).describe('OpenAPI 3.1') },
  }),
];

/** Every route the document describes, at its mount prefix (as core/http/app.ts mounts them). */
export const GENERATED: ReadonlyArray<[prefix: string, ops: readonly Operation[]]> = [
  ['', publicOperations],
  ['/metrics', metricsOperations],
  ['/api/session', sessionOperations],
  ['/api/account', accountOperations],
  ['/api/users', userOperations],
  ['/api/tokens', tokenOperations],
  ['/api/audit', auditOperations],
  ['/api/notifications', notificationOperations],
  ['/api/node', nodeOperations],
  ['/api/openapi.json', openApiOperations],
  ['/api/probe', probeOperations],
  ['/api/tracker/credentials', trackerCredentialOperations],
  ['/api/tracker', trackerOperations],
  ['/api/entities', entityOperations],
  ['/api/entities', entitySyncOperations],
  ['/api/entities', entityAttachmentOperations],
  ['/api/attachments', attachmentOperations],
  ['/api/connections', connectionOperations],
  ['/api/connections', ruleOperations],
  ['/api/connections', connectionSyncOperations],
  ['/api/connections', connectionActivityOperations],
  ['/api/dashboard', dashboardOperations],
  ['/api/invitations', invitationOperations],
  ['/api/triggers', triggerOperations],
  ['/api/errors', errorOperations],
  ['/api/runs', runOperations],
];

const tags = [...new Set(GENERATED.flatMap(([, ops]) => ops.map((o) => o.tag)))];

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
  tags: tags.map((name) => ({ name })),
  paths: pathItems(GENERATED),
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description:
          "The admin token, or a personal API token (`POST /api/tokens`) acting with its owner's role",
      },
      session: { type: 'apiKey', in: 'cookie', name: 'tandem_session', description: 'The console session' },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'TANDEM_METRICS_TOKEN (reads /metrics only)',
      },
    },
    ...components(),
  },
};

export const openApiRoutes = new Hono<AppEnv>().get('/', (c) =>
  c.json(openApiDocument as Record<string, unknown>),
);
