// The subsystems every host runs, in start order (later ones may use earlier ones).
import { createUiModule } from '../ui/serve.ts';
import { createConnectionsModule } from './connections/connections-module.ts';
import type { ModuleFactory } from './host.ts';
import { openApiModule } from './http/openapi.ts';
import { createMetricsModule } from './metrics/metrics-module.ts';
import { createRulesModule } from './rules/rules-module.ts';
import { createSandboxModule } from './sandbox/sandbox-module.ts';
import { createSyncModule } from './sync/sync-module.ts';

export const hostModules: ModuleFactory[] = [
  createSandboxModule,
  createMetricsModule,
  openApiModule,
  createUiModule,
  createConnectionsModule,
  createRulesModule,
  createSyncModule,
];
