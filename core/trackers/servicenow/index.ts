// The ServiceNow connector's module: `tandem start --tracker servicenow` loads `createTracker` from here.
import type { CreateTracker } from '../tracker.ts';
import { createServiceNowClient } from './client.ts';
import { parseServiceNowConfig } from './config.ts';
import { pushSecret } from './push.ts';
import { createServiceNowTracker } from './tracker.ts';

/** A 429 that asks to wait longer than this ends the call as `unavailable` (the engine retries it later). */
const MAX_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * Options from `--tracker-config`, secrets from `TANDEM_SERVICENOW_*` in `context.env` (config.ts).
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
      auth: config.credentials.kind,
      entityTypes: config.entityTypes,
      pollMs: config.pollMs,
    },
    'ServiceNow tracker ready',
  );
  return createServiceNowTracker({
    config,
    client,
    log: context.log,
    pushSecret: pushSecret(context.env, context.dataDir),
    db: context.db,
  });
};
