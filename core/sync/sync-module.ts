// The `sync` host module: builds the engine on the link, rules and sandbox of the modules before it.
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { RuleSource } from './context.ts';
import { createSyncEngine } from './engine.ts';
import { syncRoutes } from './routes.ts';

/** Host services as sync reads them: rules and sandbox come from the rules module when it is loaded. */
type WithRules = HostServices & { rules?: RuleSource; sandbox?: Sandbox };

/**
 * Goes last in `hostModules`: it uses `services.link`, `services.rules`, `services.sandbox`, `services.tracker`.
 * @example export const hostModules = [createUiModule, createConnectionsModule, createRulesModule, createSyncModule];
 */
export function createSyncModule(services: HostServices): HostModule {
  const s = services as WithRules;
  const engine = createSyncEngine({
    db: s.db,
    tracker: s.tracker,
    log: s.log,
    nodeId: s.identity.nodeId,
    link: () => s.link,
    rules: () => s.rules,
    sandbox: () => s.sandbox,
    ...(s.connections ? { onConnectionChange: (l) => s.connections!.onChange(l) } : {}),
    tickMs: Number(process.env.TANDEM_SYNC_TICK_MS) > 0 ? Number(process.env.TANDEM_SYNC_TICK_MS) : 1000,
  });
  return {
    name: 'sync',
    routes: syncRoutes(engine),
    start: () => engine.start(),
    stop: () => engine.stop(),
  };
}
