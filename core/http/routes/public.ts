// Public routes: the node's well-known document and the health probe.
import { Hono } from 'hono';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import type { NodeSettings } from '../../identity/node-settings.ts';
import { PROTOCOL_VERSION, TANDEM_VERSION } from '../../version.ts';
import type { AppEnv } from '../app-env.ts';

export const LINK_PATH = '/link';
export const MODES = ['basic', 'visual', 'script'] as const;

export const publicRoutes = ({ identity, settings }: { identity: NodeIdentity; settings: NodeSettings }) =>
  new Hono<AppEnv>()
    .get('/.well-known/tandem', (c) => {
      return c.json({
        nodeId: identity.nodeId,
        name: settings.name(),
        version: TANDEM_VERSION,
        protocol: PROTOCOL_VERSION,
        modes: [...MODES],
        publicKey: identity.publicJwk,
        linkPath: LINK_PATH,
      });
    })
    .get('/healthz', (c) => c.json({ ok: true }));
