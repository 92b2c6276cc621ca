// A subsystem of the host (pairing, link, rules, sync...): its routes and its start/stop hooks.
import type { Server } from 'node:http';
import type { ApiRoutes } from './http/app.ts';

/**
 * What a subsystem contributes to a running host. Modules start in order once the server
 * listens and stop in reverse order on shutdown.
 * @example
 * const pairing: HostModule = { name: 'pairing', routes: [['/api/connections', connectionRoutes]] };
 */
export interface HostModule {
  name: string;
  /** Admin routes mounted under their path after authentication. */
  routes?: ApiRoutes;
  /** Hook into the HTTP server before it listens (e.g. WebSocket upgrades). */
  attach?(server: Server): void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
