// A link network that refuses every peer, listening on a real server: for tests of sockets before authentication.
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { exportJWK, generateKeyPair } from 'jose';
import { identityFromPrivateJwk } from '../../core/identity/node-identity.ts';
import { createLinkNetwork, type LinkNetwork, type LinkOptions } from '../../core/link/link-network.ts';
import { createLogger } from '../../core/log.ts';

export interface LinkListenerHost {
  server: Server;
  network: LinkNetwork;
  close(): Promise<void>;
}

/**
 * A fresh identity's link network on hono's node adapter (the host's own kind of server), port 0.
 * @example const { server, close } = await refusingLinkListener({ handshakeTimeoutMs: 500 });
 */
export async function refusingLinkListener(
  opts: Pick<LinkOptions, 'handshakeTimeoutMs' | 'handshakesPerSecond' | 'trustedProxies'>,
): Promise<LinkListenerHost> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const identity = await identityFromPrivateJwk(await exportJWK(pair.privateKey));
  const network = createLinkNetwork({
    identity,
    local: () => ({ url: null, name: 'Listener' }),
    directory: {
      authorizeInbound: async () => ({ ok: false, code: 'unknown_link', message: 'no' }),
      confirmOutbound: async () => false,
      dialFailed: async () => 'redial' as const,
    },
    log: createLogger('link-listener-test', 'silent'),
    linkPath: '/link',
    ...opts,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: () => new Response('ok'), port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    );
  });
  network.attach(server);
  return {
    server,
    network,
    async close() {
      await network.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
