// Builds and runs one host: database, identity, tracker, HTTP server and every subsystem.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { openDatabase } from '../storage/database.ts';
import type { HostConfig } from './config.ts';
import { TandemError } from './errors.ts';
import type { HostModule } from './host-module.ts';
import type { HostServices } from './host-services.ts';
import { initAdminAuth } from './http/admin-auth.ts';
import { createApp } from './http/app.ts';
import { loadOrCreateIdentity } from './identity/node-identity.ts';
import { loadNodeSettings } from './identity/node-settings.ts';
import { createLogger } from './log.ts';
import { hostModules } from './modules.ts';
import { createBuiltinTracker } from './trackers/builtin/builtin-tracker.ts';

export interface RunningHost {
  services: HostServices;
  url: string;
  /** The admin token when this start generated it (first start without TANDEM_ADMIN_TOKEN). */
  generatedToken?: string;
  close(): Promise<void>;
}

/** Subsystems in start order; each gets the core services and the modules built before it. */
export type ModuleFactory = (
  services: HostServices,
  built: ReadonlyMap<string, HostModule>,
) => HostModule | Promise<HostModule>;

/** Opens the database and builds the core services (no server, no subsystems): also what unit tests use. */
export async function createHostServices(config: HostConfig) {
  const log = createLogger('tandem', config.log.level);
  const database = await openDatabase(config.storage.dataDir, {
    log,
    sqlProfileDir: config.storage.sqlProfileDir,
  });
  const { db } = database;
  try {
    const identity = await loadOrCreateIdentity(config.storage.dataDir);
    const settings = await loadNodeSettings(
      db,
      { name: config.server.name, publicUrl: config.server.publicUrl },
      `Tandem ${identity.fingerprint.slice(0, 9)}`,
    );
    const { auth, generated } = await initAdminAuth(db, config.server.adminToken);
    const services: HostServices = {
      config,
      db,
      identity,
      settings,
      auth,
      tracker: createBuiltinTracker(db),
      log,
      listenUrl: '',
    };
    return { services, database, generatedToken: generated };
  } catch (err) {
    await database.close();
    throw err;
  }
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

/** Stops modules in reverse start order; a failing stop is logged and the rest still stop. */
async function stopModules(list: readonly HostModule[], log: HostServices['log']): Promise<void> {
  for (const m of [...list].reverse()) {
    try {
      await m.stop?.();
    } catch (err) {
      log.error({ err, module: m.name }, 'module stop failed');
    }
  }
}

export async function startHost(
  config: HostConfig,
  modules: readonly ModuleFactory[] = hostModules,
): Promise<RunningHost> {
  const { services, database, generatedToken: generated } = await createHostServices(config);
  const { log, identity } = services;
  const built = new Map<string, HostModule>();
  let server: Server | undefined;
  const shutDown = async () => {
    await stopModules([...built.values()], log);
    if (server?.listening) {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    }
    await database.close();
  };
  // A start that fails half-way (a port in use, a module that cannot start) releases what it took.
  try {
    for (const factory of modules) {
      const m = await factory(services, built);
      built.set(m.name, m);
    }
    const app = createApp(
      services,
      [...built.values()].flatMap((m) => m.routes ?? []),
    );
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, () =>
        resolve(s as Server),
      );
      (s as Server).once('error', (err) => reject(listenError(err, config)));
    });
    for (const m of built.values()) m.attach?.(server);
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    services.listenUrl = `http://${host}:${addr.port}`;
    for (const m of built.values()) await m.start?.();
  } catch (err) {
    await shutDown().catch((e: unknown) => log.error({ err: e }, 'cleanup after a failed start failed'));
    throw err;
  }
  log.info({ url: services.listenUrl, nodeId: identity.nodeId }, 'host started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await shutDown();
      log.info('host stopped');
    })();
    return closing;
  };
  return generated
    ? { services, url: services.listenUrl, generatedToken: generated, close }
    : { services, url: services.listenUrl, close };
}
