// Builds and runs one host: database, identity, tracker, HTTP server and every subsystem.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { openDatabase } from '../storage/database.ts';
import type { HostConfig } from './config.ts';
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
  const log = createLogger('tandem');
  const database = await openDatabase(config.dataDir, { log });
  const { db } = database;
  const identity = await loadOrCreateIdentity(config.dataDir);
  const settings = await loadNodeSettings(
    db,
    { name: config.name, publicUrl: config.publicUrl },
    `Tandem ${identity.fingerprint.slice(0, 9)}`,
  );
  const { auth, generated } = await initAdminAuth(db, config.adminToken);
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
}

export async function startHost(
  config: HostConfig,
  modules: readonly ModuleFactory[] = hostModules,
): Promise<RunningHost> {
  const { services, database, generatedToken: generated } = await createHostServices(config);
  const { log, identity } = services;
  const built = new Map<string, HostModule>();
  for (const factory of modules) {
    const m = await factory(services, built);
    built.set(m.name, m);
  }
  const list = [...built.values()];
  const app = createApp(
    services,
    list.flatMap((m) => m.routes ?? []),
  );

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(s as Server),
    );
    (s as Server).once('error', reject);
  });
  for (const m of list) m.attach?.(server);
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  services.listenUrl = `http://${host}:${addr.port}`;
  for (const m of list) await m.start?.();
  log.info({ url: services.listenUrl, nodeId: identity.nodeId }, 'host started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const m of [...list].reverse()) {
        try {
          await m.stop?.();
        } catch (err) {
          log.error({ err, module: m.name }, 'module stop failed');
        }
      }
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      log.info('host stopped');
    })();
    return closing;
  };
  return generated
    ? { services, url: services.listenUrl, generatedToken: generated, close }
    : { services, url: services.listenUrl, close };
}
