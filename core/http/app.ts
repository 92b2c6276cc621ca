// The host's HTTP app: every route module mounted in one place, public routes, the admin API under /api, problem+json errors.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Db } from '../../storage/schema.ts';
import type { Dashboard } from '../activity/dashboard.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import { TandemError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { NodeSettings } from '../identity/node-settings.ts';
import type { Logger } from '../log.ts';
import type { HostMetrics } from '../metrics/metrics.ts';
import type { NotificationStore } from '../notifications/notification-store.ts';
import type { Notifier } from '../notifications/notifier.ts';
import type { ApiTokens } from '../people/api-tokens.ts';
import type { UserStore } from '../people/user-store.ts';
import type { RuleService } from '../rules/rule-service.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { SyncEngine } from '../sync/engine.ts';
import type { Tracker } from '../trackers/tracker.ts';
import type { TrackerCredentials } from '../trackers/tracker-credentials.ts';
import type { AdminAuth } from './admin-auth.ts';
import type { AppEnv } from './app-env.ts';
import { guardApi } from './auth-middleware.ts';
import { createCredentialLimit } from './credential-limit.ts';
import { bulkErrorsByHolder } from './errors-by-holder.ts';
import { forwardToHolder } from './forward-to-holder.ts';
import { GENERATED, openApiRoutes } from './openapi.ts';
import { onError, problemResponse } from './problem.ts';
import { routeIndex } from './route-index.ts';
import { accountRoutes } from './routes/account.ts';
import { connectionActivityRoutes, dashboardRoutes } from './routes/activity.ts';
import { attachmentRoutes, entityAttachmentRoutes } from './routes/attachments.ts';
import { auditRoutes } from './routes/audit.ts';
import { connectionRoutes } from './routes/connections.ts';
import { entityRoutes } from './routes/entities.ts';
import { invitationRoutes } from './routes/invitations.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { nodeRoutes } from './routes/node.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { probeRoutes } from './routes/probe.ts';
import { publicRoutes } from './routes/public.ts';
import { ruleRoutes } from './routes/rules.ts';
import { sessionRoutes } from './routes/session.ts';
import {
  connectionSyncRoutes,
  entitySyncRoutes,
  errorRoutes,
  runRoutes,
  triggerRoutes,
} from './routes/sync.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { trackerRoutes } from './routes/tracker.ts';
import { trackerCredentialRoutes } from './routes/tracker-credentials.ts';
import { trackerPushRoutes } from './routes/tracker-push.ts';
import { userRoutes } from './routes/users.ts';
import { createAccountLimit } from './sign-in-limit.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * What the routes are built on: the parts core/host.ts composed, each route module taking its own.
 * @example const app = createApp({ ...parts, console: createUiRoutes() }); await app.request('/healthz');
 */
export interface AppParts {
  log: Logger;
  /** Peers whose X-Forwarded-For is believed (config.server.trustedProxies). */
  trustedProxies: readonly string[];
  db: Db;
  identity: NodeIdentity;
  settings: NodeSettings;
  auth: AdminAuth;
  tracker: Tracker;
  sandbox: Sandbox;
  connections: ConnectionService;
  /** Which process runs each connection; admin changes wake the other processes through it. */
  cluster: Cluster;
  rules: RuleService;
  engine: SyncEngine;
  metrics: HostMetrics;
  /** The dashboard and each connection's activity history (core/activity/). */
  dashboard: Dashboard;
  users: UserStore;
  tokens: ApiTokens;
  /** Seals secrets entered through the API (AES-256-GCM, key outside the database): use it for any credential you store. */
  secrets: SecretBox;
  /** The tracker's credentials entered in the console (sealed), and where each one in use comes from. */
  trackerCredentials: TrackerCredentials;
  audit: AuditLog;
  notificationStore: NotificationStore;
  notifier: Notifier;
  /** TANDEM_METRICS_TOKEN: opens /metrics and nothing else. */
  metricsToken: string | undefined;
  /** The largest attachment accepted (config.content). */
  maxAttachmentBytes: number;
  /** The admin console at `/`, when the CLI serves it (ui/serve.ts). */
  console?: Hono<AppEnv> | undefined;
}

/** Every published operation, for the guard to find each request's role and audit action. */
const ROUTES = routeIndex(GENERATED);

/** The admin API under /api: sign-in first, then everything behind the guard (credentials, role, audit). */
export function adminApi(p: AppParts) {
  return new Hono<AppEnv>()
    .route('/session', sessionRoutes(p))
    .use('*', guardApi({ ...p, routes: ROUTES }))
    .use('*', forwardToHolder(p))
    .route('/account', accountRoutes(p))
    .route('/users', userRoutes(p))
    .route('/tokens', tokenRoutes(p))
    .route('/audit', auditRoutes(p))
    .route('/notifications', notificationRoutes({ store: p.notificationStore, notifier: p.notifier }))
    .route('/node', nodeRoutes(p))
    .route('/openapi.json', openApiRoutes)
    .route('/probe', probeRoutes(p))
    .route('/tracker/credentials', trackerCredentialRoutes(p))
    .route('/tracker', trackerRoutes(p))
    .route('/entities', entityRoutes(p))
    .route('/entities', entitySyncRoutes(p))
    .route('/entities', entityAttachmentRoutes(p))
    .route('/attachments', attachmentRoutes(p))
    .route('/connections', connectionRoutes(p))
    .route('/connections', ruleRoutes(p))
    .route('/connections', connectionSyncRoutes(p))
    .route('/connections', connectionActivityRoutes(p))
    .route('/dashboard', dashboardRoutes(p))
    .route('/invitations', invitationRoutes(p))
    .route('/triggers', triggerRoutes(p))
    .route('/errors', errorRoutes({ ...p, bulk: bulkErrorsByHolder(p) }))
    .route('/runs', runRoutes(p));
}

/** The admin API's routes and their types, for the console's typed client (`hc<AdminApi>`). */
export type AdminApi = ReturnType<typeof adminApi>;

export function createApp(p: AppParts) {
  const credentialLimit = createCredentialLimit({ trustedProxies: p.trustedProxies, log: p.log });
  const accountLimit = createAccountLimit();
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('log', p.log);
    c.set('credentialLimit', credentialLimit);
    c.set('accountLimit', accountLimit);
    await next();
  });
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new TandemError('PAYLOAD_TOO_LARGE', 413, `The request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });
  // An upload streams to the blob store under its own limit (TANDEM_MAX_ATTACHMENT_MB).
  app.use('*', (c, next) => (isUpload(c.req.method, c.req.path) ? next() : limit(c, next)));
  app.onError(onError);
  app.notFound((c) => problemResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}`));

  app.route('/', publicRoutes(p));
  app.route('/metrics', metricsRoutes({ metrics: p.metrics, auth: p.auth, token: p.metricsToken }));
  app.route('/hooks/tracker', trackerPushRoutes(p));
  app.route('/api', adminApi(p));
  if (p.console) app.route('/', p.console);
  return app;
}

export type App = ReturnType<typeof createApp>;

const UPLOAD_PATH = /^\/api\/entities\/[^/]+\/attachments\/?$/;
const isUpload = (method: string, path: string) => method === 'POST' && UPLOAD_PATH.test(path);
