// The `rules` host module: the rule service (services.rules), its routes under /api/connections/:id/rules,
// and visual mappings kept in step with the peer over the link.
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import { ruleRoutes } from './rule-routes.ts';
import { createRuleService } from './rule-service.ts';
import { attachVisualRulesLink } from './visual-link.ts';

/**
 * Builds the rule service on the database and the sandbox module's sandbox. Goes after the
 * `connections` module (it uses `services.link`) and before `sync` (which reads `services.rules`).
 * @example export const hostModules = [createSandboxModule, createConnectionsModule, createRulesModule, createSyncModule];
 */
export function createRulesModule(services: HostServices): HostModule {
  const rules = createRuleService({ db: services.db, sandbox: () => services.sandbox, log: services.log });
  services.rules = rules;
  // Registered now, before the link comes up, so no link-up or frame is missed.
  const detach = services.link
    ? attachVisualRulesLink({
        link: services.link,
        rules,
        nodeId: services.identity.nodeId,
        log: services.log,
      })
    : undefined;
  return {
    name: 'rules',
    routes: [['/api/connections', ruleRoutes]],
    stop: async () => detach?.(),
  };
}
