// Legacy: the old service bag, still imported by core/sandbox/sandbox-module.ts only. Nothing builds
// it any more (core/host.ts composes the host); delete this file with sandbox-module.ts.
import type { Db } from '../storage/schema.ts';
import type { HostConfig } from './config.ts';
import type { ConnectionService } from './connections/connection-service.ts';
import type { AdminAuth } from './http/admin-auth.ts';
import type { NodeIdentity } from './identity/node-identity.ts';
import type { NodeSettings } from './identity/node-settings.ts';
import type { LinkHub } from './link/link-hub.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { RuleService } from './rules/rule-service.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import type { Tracker } from './trackers/tracker.ts';

export interface HostServices {
  config: HostConfig;
  db: Db;
  identity: NodeIdentity;
  settings: NodeSettings;
  auth: AdminAuth;
  tracker: Tracker;
  log: Logger;
  /** The address the server actually listens on (port 0 resolved), set once listening. */
  listenUrl: string;
  /** The live peer links, set by the `connections` module (core/connections/connections-module.ts). */
  link?: LinkHub;
  /** Pairing and lifecycle of connections, set by the `connections` module. */
  connections?: ConnectionService;
  /** Runs rule programs in isolates in a supervised child process; set by the `sandbox` module (core/sandbox/sandbox-module.ts). */
  sandbox?: Sandbox;
  /** Each connection's rules and compiled program (`program(connectionId)`); set by the `rules` module (core/rules/rules-module.ts). */
  rules?: RuleService;
  /** Counters and timings for /metrics, set by the `metrics` module (core/metrics/metrics-module.ts). */
  metrics?: Metrics;
}
