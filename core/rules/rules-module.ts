// The `rules` host module: the rule service (services.rules) and its routes under /api/connections/:id/rules.
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import { ruleRoutes } from './rule-routes.ts';
import { createRuleService } from './rule-service.ts';

/**
 * Builds the rule service on the database and the sandbox module's sandbox.
 * @example export const hostModules = [createSandboxModule, createRulesModule, createSyncModule];
 */
export function createRulesModule(services: HostServices): HostModule {
  const rules = createRuleService({ db: services.db, sandbox: () => services.sandbox, log: services.log });
  services.rules = rules;
  return { name: 'rules', routes: [['/api/connections', ruleRoutes]] };
}
