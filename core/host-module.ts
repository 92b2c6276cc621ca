// Legacy: the module shape of the old service bag, still imported by core/sandbox/sandbox-module.ts only.
// The host is composed in core/host.ts now; delete this file with sandbox-module.ts.
import type { Server } from 'node:http';

/**
 * What a subsystem contributes to a running host. Modules start in order once the server
 * listens and stop in reverse order on shutdown.
 * @example
 * const pairing: HostModule = { name: 'pairing', routes: [['/api/connections', connectionRoutes]] };
 */
export interface HostModule {
  name: string;
  /** Admin routes mounted under their path after authentication. */
  routes?: Array<[path: string, routes: unknown]>;
  /** Hook into the HTTP server before it listens (e.g. WebSocket upgrades). */
  attach?(server: Server): void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
