// The composition root: builds one host in order (config -> storage -> identity/auth -> sandbox -> link ->
// connections -> rules -> engine -> http), each part given what it needs; `start` listens, `close` undoes it all.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { openDatabase } from '../storage/database.ts';
import type { Db } from '../storage/schema.ts';
import { createDashboard } from './activity/dashboard.ts';
import { type ActivitySampler, createActivitySampler } from './activity/sampler.ts';
import { createAuditLog } from './audit/audit-log.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import { createDbBlobStore } from './blobs/db-blob-store.ts';
import { createFileBlobStore } from './blobs/file-blob-store.ts';
import { type Cluster, createCluster } from './cluster/cluster.ts';
import type { HostConfig } from './config.ts';
import { createConnectionService } from './connections/connection-service.ts';
import { trackerHealthCheck } from './connections/health-checks.ts';
import { TandemError } from './errors.ts';
import { initAdminAuth } from './http/admin-auth.ts';
import { type AppParts, createApp } from './http/app.ts';
import type { AppEnv } from './http/app-env.ts';
import { LINK_PATH } from './http/routes/public.ts';
import { checkSecretKey } from './identity/key-check.ts';
import { loadOrCreateIdentity } from './identity/node-identity.ts';
import { loadNodeSettings } from './identity/node-settings.ts';
import { loadOrCreateStoredIdentity } from './identity/stored-identity.ts';
import { createLinkNetwork, type LinkNetwork } from './link/link-network.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics } from './metrics/metrics.ts';
import { readSnapshot } from './metrics/snapshot.ts';
import { timedSandbox } from './metrics/timed-sandbox.ts';
import { createNotificationStore } from './notifications/notification-store.ts';
import { createNotifier } from './notifications/notifier.ts';
import { createWebhookSender } from './notifications/sender.ts';
import { createEventWatcher } from './notifications/watcher.ts';
import { createApiTokens } from './people/api-tokens.ts';
import { createUserStore } from './people/user-store.ts';
import { createRuleService } from './rules/rule-service.ts';
import { trackerUserLookup } from './rules/user-lookup.ts';
import { attachVisualRulesLink } from './rules/visual-link.ts';
import { createSandbox, type ManagedSandbox } from './sandbox/create-sandbox.ts';
import { createSecretBox } from './secrets/secret-box.ts';
import { loadSecretKey } from './secrets/secret-key.ts';
import { realClock } from './sync/clock.ts';
import { createSyncEngine } from './sync/engine.ts';
import { createCredentialStore } from './trackers/credential-store.ts';
import type { TrackerCredentialSource } from './trackers/credentials.ts';
import type { Tracker } from './trackers/tracker.ts';
import { createTrackerCredentials } from './trackers/tracker-credentials.ts';
import { TANDEM_VERSION } from './version.ts';

/**
 * What the caller chooses (the CLI, a test, the bench); everything else follows from the config.
 * @example const host = await createHost(config, { tracker: ({ db }) => createBuiltinTracker(db) });
 */
export interface HostParts {
  /**
   * The system of record, built on the host's database (`loadTracker(...).build` in core/trackers/load.ts), with
   * the credentials an admin entered in the console (`storedCredentials`, by variable name).
   */
  tracker(ctx: {
    db: Db;
    log: Logger;
    dataDir: string;
    storedCredentials: Readonly<Record<string, string>>;
    blobs: BlobStore;
  }): Tracker | Promise<Tracker>;
  /** The credentials the tracker takes and the environment that wins over the console's values; none by default. */
  trackerCredentials?: TrackerCredentialSource;
  /** The admin console served at `/` (ui/serve.ts); none by default. */
  console?: Hono<AppEnv>;
  /** Starts the rule runner process with the host (default); `false` starts it on first use. */
  warmSandbox?: boolean;
  /** The logger; by default one at `config.log.level` on stderr. */
  log?: Logger;
  /**
   * This host is the only process on its database and runs every connection without leases, even on
   * PostgreSQL: hosts built but never started (tests that drive the engine themselves). Default false.
   */
  alone?: boolean;
}

/** The parts a host was built from, for tests and the bench to look into; nothing reads them at run time. */
export type BuiltParts = Readonly<
  Omit<AppParts, 'console' | 'sandbox'> & {
    config: HostConfig;
    sandbox: ManagedSandbox;
    link: LinkNetwork;
    /** Which process runs each connection (one on SQLite; several on a shared PostgreSQL database). */
    cluster: Cluster;
    activity: ActivitySampler;
    /** Attachment bytes (files in the data directory, or the database). */
    blobs: BlobStore;
  }
>;

export interface Host {
  /** The HTTP app, usable with `app.request()` before (or without) `start`. */
  app: ReturnType<typeof createApp>;
  parts: BuiltParts;
  /** The admin token when this start generated it (first start without TANDEM_ADMIN_TOKEN). */
  generatedToken?: string | undefined;
  /** Listens on `config.server`, then brings up the link, the sync engine and the rule runner. */
  start(): Promise<{ url: string }>;
  /** Stops what started, in reverse order, then closes the database; safe to call twice or after a failed start. */
  close(): Promise<void>;
}

export interface RunningHost {
  parts: BuiltParts;
  url: string;
  generatedToken?: string;
  close(): Promise<void>;
}

/** The usual reasons a host cannot listen, as errors the CLI prints with their code. */
function listenError(err: Error & { code?: string }, config: HostConfig): Error {
  const where = `${config.server.host}:${config.server.port}`;
  if (err.code === 'EADDRINUSE')
    return new TandemError('PORT_IN_USE', 500, `Port ${where} is already in use: choose another with --port`);
  if (err.code === 'EACCES')
    return new TandemError(
      'PORT_NOT_ALLOWED',
      500,
      `Not allowed to listen on ${where}: use a port above 1023`,
    );
  if (err.code === 'EADDRNOTAVAIL')
    return new TandemError(
      'ADDRESS_NOT_AVAILABLE',
      500,
      `No network interface has the address ${config.server.host}`,
    );
  return err;
}

/** Runs every step even when one fails; failures are logged. */
async function runAll(steps: Array<[name: string, step: () => unknown]>, log: Logger): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.error({ err, part: name }, 'stopping a part failed');
    }
  }
}

export async function createHost(config: HostConfig, choice: HostParts): Promise<Host> {
  const log = choice.log ?? createLogger('tandem', config.log.level);
  const database = await openDatabase(config.storage.dataDir, {
    url: config.storage.databaseUrl,
    log,
    sqlProfileDir: config.storage.sqlProfileDir,
  });
  const { db } = database;
  let parts: BuiltParts;
  let generatedToken: string | undefined;
  let built: Tracker | undefined;
  // The URL of a shared PostgreSQL database: processes on it are one node (core/cluster/).
  const databaseUrl =
    database.dialect === 'postgres' && !choice.alone ? config.storage.databaseUrl : undefined;
  const cluster = createCluster({ db, log, databaseUrl });
  try {
    const secretKey = loadSecretKey(config.secrets.key, config.storage.dataDir);
    const secrets = createSecretBox(secretKey.key);
    await checkSecretKey(db, secrets, log, secretKey.source);
    // A key file beside a SQLite database; in a shared database, sealed, so that every process is one node.
    const identity =
      database.dialect === 'sqlite'
        ? await loadOrCreateIdentity(config.storage.dataDir)
        : await loadOrCreateStoredIdentity(db, secrets);
    const settings = await loadNodeSettings(
      db,
      { name: config.server.name, publicUrl: config.server.publicUrl },
      `Tandem ${identity.fingerprint.slice(0, 9)}`,
    );
    const admin = await initAdminAuth(db, config.server.adminToken);
    generatedToken = admin.generated;
    // Attachment bytes: files beside a SQLite database; in the database itself when processes share it.
    const blobs =
      database.dialect === 'sqlite'
        ? createFileBlobStore(path.join(config.storage.dataDir, 'blobs'))
        : createDbBlobStore(db);
    const credentialStore = createCredentialStore(db, secrets);
    const stored = await credentialStore.read();
    if (stored.unreadable)
      log.warn({ names: stored.names }, 'stored tracker credentials cannot be read with this secret key');
    const tracker = await choice.tracker({
      db,
      log,
      dataDir: config.storage.dataDir,
      storedCredentials: stored.values,
      blobs,
    });
    built = tracker;
    // On a shared database each process is scraped apart: its series carry its id.
    const metrics = createMetrics(databaseUrl ? { process: cluster.processId } : {});
    const { memoryLimitMb, timeoutMs, wallTimeoutMs } = config.sandbox;
    const sandbox = timedSandbox(
      createSandbox({
        log,
        ...(memoryLimitMb !== undefined ? { memoryLimitMb } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(wallTimeoutMs !== undefined ? { wallTimeoutMs } : {}),
      }),
      metrics,
    );
    const { service: connections, network: link } = createConnectionService(
      { db, identity, settings, log },
      (directory) =>
        cluster.gateLink(
          createLinkNetwork({
            identity,
            local: () => ({ url: settings.publicUrl(), name: settings.name() }),
            directory,
            log,
            linkPath: LINK_PATH,
            ...config.link,
            trustedProxies: config.server.trustedProxies,
            ...cluster.linkOptions,
          }),
        ),
    );
    // The tracker's checks are every connection's too (a wrong ServiceNow password fails validation with its fix).
    if (tracker.health) connections.addHealthCheck(trackerHealthCheck(tracker));
    const rules = createRuleService({ db, sandbox, log });
    const engine = createSyncEngine({
      db,
      tracker,
      log,
      nodeId: identity.nodeId,
      // Its own links: what is up and sent in this process (the gated view also shows the holders' links).
      link: () => cluster.local ?? link,
      rules: () => rules,
      sandbox: () => sandbox,
      hostApi: trackerUserLookup(tracker),
      onConnectionChange: (listener) => connections.onChange(listener),
      holds: (id) => cluster.leases.holds(id),
      tickMs: config.sync.tickMs,
      content: {
        blobs,
        maxAttachmentBytes: config.content.maxAttachmentBytes,
        referenceWaitMs: config.content.referenceWaitMs,
      },
    });
    const notificationStore = createNotificationStore(db, secrets, () => new Date());
    const notifier = createNotifier({
      store: notificationStore,
      watcher: createEventWatcher({
        db,
        clock: realClock,
        digestMs: config.notifications.digestMs,
        isUp: (id) => link.isUp(id),
      }),
      sender: createWebhookSender({ userAgent: `Tandem/${TANDEM_VERSION}` }),
      clock: realClock,
      log,
      node: () => ({ id: identity.nodeId, name: settings.name(), url: settings.publicUrl() }),
      pollMs: config.notifications.pollMs,
    });
    parts = {
      config,
      log,
      trustedProxies: config.server.trustedProxies,
      metricsToken: config.metrics.token,
      maxAttachmentBytes: config.content.maxAttachmentBytes,
      db,
      identity,
      settings,
      auth: admin.auth,
      tracker,
      sandbox,
      link,
      cluster,
      connections,
      rules,
      engine,
      metrics,
      dashboard: createDashboard({ db, connections, link, clock: realClock }),
      blobs,
      // Reads what the engine and the link already keep, once a minute; writes only its own tables.
      activity: createActivitySampler({
        db,
        link,
        clock: realClock,
        log,
        sampleMs: config.activity.sampleMs,
        retentionMs: config.activity.retentionDays * 24 * 3_600_000,
      }),
      secrets,
      trackerCredentials: createTrackerCredentials({
        store: credentialStore,
        tracker,
        source: choice.trackerCredentials ?? { declared: [], env: {} },
        initial: stored,
        log,
      }),
      users: createUserStore(db),
      tokens: createApiTokens(db),
      audit: createAuditLog(db),
      notificationStore,
      notifier,
    };
  } catch (err) {
    await built?.close?.();
    await database.close();
    throw err;
  }
  const { link, connections, rules, engine, sandbox, metrics, activity, notifier } = parts;
  // Registered now, before the link comes up, so no link-up or frame is missed.
  const detachVisualRules = attachVisualRulesLink({ link, rules, nodeId: parts.identity.nodeId, log });
  const app = createApp({ ...parts, console: choice.console });

  let server: Server | undefined;
  let stopCollecting: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= runAll(
      [
        ['metrics', () => stopCollecting?.()],
        ['credentials', () => parts.trackerCredentials.stop()],
        ['activity', () => activity.stop()],
        ['notifications', () => notifier.stop()],
        ['sync', () => engine.stop()],
        ['tracker', () => parts.tracker.close?.()],
        ['rules', () => detachVisualRules()],
        ['link', () => link.close()],
        // After the engine and link stopped: the next holder starts them only once they are stopped here.
        ['cluster', () => parts.cluster.stop()],
        ['sandbox', () => sandbox.close()],
        [
          'server',
          () =>
            server?.listening &&
            new Promise<void>((resolve) => {
              server?.closeAllConnections?.();
              server?.close(() => resolve());
            }),
        ],
        ['database', () => database.close()],
      ],
      log,
    );
    return closing;
  };

  async function start(): Promise<{ url: string }> {
    // A start that fails half-way (a port in use, a part that cannot start) releases what it took.
    try {
      server = await new Promise<Server>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, () =>
          resolve(s as Server),
        );
        (s as Server).once('error', (err) => reject(listenError(err, config)));
      });
      // A socket that never sends a request (or stops half-way) would otherwise stay open for good;
      // upgraded link sockets leave this timer (ws clears it) and are watched by heartbeats.
      server.setTimeout(config.server.idleSocketMs);
      server.headersTimeout = Math.min(server.headersTimeout, config.server.idleSocketMs);
      link.attach(server);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `http://${host}:${addr.port}`;
      if (choice.warmSandbox !== false) {
        // Without holding the start: the first rule run waits for readiness anyway.
        sandbox.start().catch((err: unknown) => log.error({ err }, 'rule runner did not start'));
      }
      stopCollecting = metrics.onCollect(async () => metrics.apply(await readSnapshot(db, link)));
      // The leases first: the connections dial, and the engine steps, only those this process holds.
      await parts.cluster.start(url, {
        engine,
        connections,
        link,
        settings: parts.settings,
        trackerCredentials: parts.trackerCredentials,
        ...(parts.tracker.watch ? { watchTracker: (l: () => void) => parts.tracker.watch!(l) } : {}),
      });
      await connections.start();
      await engine.start();
      // Node-wide: one process runs them (the oldest live one); on SQLite, this one.
      parts.cluster.runBackground([activity, notifier]);
      parts.trackerCredentials.start();
      log.info({ url, nodeId: parts.identity.nodeId, database: database.dialect }, 'host started');
      return { url };
    } catch (err) {
      await close().catch((e: unknown) => log.error({ err: e }, 'cleanup after a failed start failed'));
      throw err;
    }
  }

  return { app, parts, generatedToken, start, close };
}

/** Builds and starts a host: what `tandem start` and the bench run. */
export async function startHost(config: HostConfig, choice: HostParts): Promise<RunningHost> {
  const host = await createHost(config, choice);
  const { url } = await host.start();
  const close = async () => {
    await host.close();
    host.parts.log.info('host stopped');
  };
  return host.generatedToken
    ? { parts: host.parts, url, generatedToken: host.generatedToken, close }
    : { parts: host.parts, url, close };
}
