// The ServiceNow connector's module: `tandem start --tracker servicenow` loads `createTracker` from here.
import type { CreateTracker, TrackerCredential } from '../tracker.ts';
import { createServiceNowClient } from './client.ts';
import { parseServiceNowConfig } from './config.ts';
import { pushSecret } from './push.ts';
import { createServiceNowTracker } from './tracker.ts';

/** A 429 that asks to wait longer than this ends the call as `unavailable` (the engine retries it later). */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/** The credentials an admin may enter in the console instead of setting the variables (the URL stays a variable). */
export const credentials: readonly TrackerCredential[] = [
  { name: 'TANDEM_SERVICENOW_USER', label: 'User name', secret: false, hint: 'The integration user' },
  { name: 'TANDEM_SERVICENOW_PASSWORD', label: 'Password', secret: true },
  {
    name: 'TANDEM_SERVICENOW_CLIENT_ID',
    label: 'OAuth client id',
    secret: false,
    hint: 'Optional: OAuth 2.0 at /oauth_token.do (with a user and password, the password grant)',
  },
  { name: 'TANDEM_SERVICENOW_CLIENT_SECRET', label: 'OAuth client secret', secret: true },
];

/**
 * Options from `--tracker-config`, secrets from `TANDEM_SERVICENOW_*` in `context.env` (config.ts); without
 * credentials it starts anyway and reports them missing until an admin enters them (`reconfigure`).
 * @example const tracker = await createTracker({ entityTypes: ['incident'] }, { db, log, dataDir, env });
 */
export const createTracker: CreateTracker = (options, context) => {
  const config = parseServiceNowConfig(options, context.env);
  const client = createServiceNowClient({
    instanceUrl: config.instanceUrl,
    credentials: config.credentials,
    maxRateLimitWaitMs: MAX_RATE_LIMIT_WAIT_MS,
  });
  context.log.info(
    {
      url: config.instanceUrl,
      auth: config.credentials?.kind ?? 'none',
      entityTypes: config.entityTypes,
      pollMs: config.pollMs,
    },
    'ServiceNow tracker ready',
  );
  if (!config.credentials)
    context.log.warn(
      { issue: config.credentialsIssue ?? 'none set' },
      'No ServiceNow credentials in use: enter them in General settings → Tracker, or set TANDEM_SERVICENOW_USER and TANDEM_SERVICENOW_PASSWORD',
    );
  return createServiceNowTracker({
    config,
    client,
    log: context.log,
    pushSecret: pushSecret(context.env, context.dataDir),
    db: context.db,
  });
};
