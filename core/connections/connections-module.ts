// The `connections` host module: the link network (services.link), pairing and lifecycle (services.connections).
import type { HostModule } from '../host-module.ts';
import type { HostServices } from '../host-services.ts';
import { connectionRoutes } from '../http/routes/connections.ts';
import { invitationRoutes } from '../http/routes/invitations.ts';
import { probeRoutes } from '../http/routes/probe.ts';
import { LINK_PATH } from '../http/routes/public.ts';
import { createLinkNetwork } from '../link/link-network.ts';
import { createConnectionService } from './connection-service.ts';

/**
 * Builds the link network and the connection service and exposes both on the host services.
 * @example export const hostModules = [createConnectionsModule, createSyncModule];
 */
export function createConnectionsModule(services: HostServices): HostModule {
  const { service, network } = createConnectionService(services, (directory) =>
    createLinkNetwork({
      identity: services.identity,
      local: () => ({ url: services.settings.publicUrl(), name: services.settings.name() }),
      directory,
      log: services.log,
      linkPath: LINK_PATH,
      ...services.config.link,
    }),
  );
  services.link = network;
  services.connections = service;
  return {
    name: 'connections',
    routes: [
      ['/api/probe', probeRoutes],
      ['/api/connections', connectionRoutes],
      ['/api/invitations', invitationRoutes],
    ],
    attach: (server) => network.attach(server),
    start: () => service.start(),
    stop: () => network.close(),
  };
}
