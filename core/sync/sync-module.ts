// The `sync` host module: builds the engine on the link, rules and sandbox of the modules before it.
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import { trackerUserLookup } from '../rules/user-lookup.ts';
import { createSyncEngine } from './engine.ts';
import { syncRoutes } from './routes.ts';

/**
 * Goes last in `hostModules`: it uses `services.link`, `services.rules`, `services.sandbox`, `services.tracker`.
 * @example export const hostModules = [createSandboxModule, createConnectionsModule, createRulesModule, createSyncModule];
 */
export function createSyncModule(services: HostServices): HostModule {
  const engine = createSyncEngine({
    db: services.db,
    tracker: services.tracker,
    log: services.log,
    nodeId: services.identity.nodeId,
    link: () => services.link,
    rules: () => services.rules,
    sandbox: () => services.sandbox,
    hostApi: trackerUserLookup(services.tracker),
    ...(services.connections ? { onConnectionChange: (l) => services.connections!.onChange(l) } : {}),
    tickMs: services.config.sync.tickMs,
  });
  return {
    name: 'sync',
    routes: syncRoutes(engine),
    start: () => engine.start(),
    stop: () => engine.stop(),
  };
}
