// Public routes: the node's well-known document and the health probe.
import { Hono } from 'hono';
import { z } from 'zod';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import type { NodeSettings } from '../../identity/node-settings.ts';
import { PROTOCOL_VERSION, TANDEM_VERSION } from '../../version.ts';
import type { AppEnv } from '../app-env.ts';
import { operation } from '../contract.ts';

export const LINK_PATH = '/link';
export const MODES = ['basic', 'visual', 'script'] as const;

export const wellKnownSchema = z.strictObject({
  nodeId: z.string(),
  name: z.string(),
  version: z.string(),
  protocol: z.number().int(),
  modes: z.array(z.enum(MODES)),
  publicKey: z.record(z.string(), z.unknown()).describe('The node public key (Ed25519 JWK)'),
  linkPath: z.string(),
});

export const publicOperations = [
  operation({
    method: 'get',
    path: '/.well-known/tandem',
    operationId: 'wellKnown',
    tag: 'Public',
    summary: "The node's public document",
    public: true,
    responses: { 200: wellKnownSchema },
  }),
  operation({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'Public',
    summary: 'Liveness probe',
    public: true,
    responses: { 200: z.strictObject({ ok: z.literal(true) }) },
  }),
];

export const publicRoutes = ({ identity, settings }: { identity: NodeIdentity; settings: NodeSettings }) =>
  new Hono<AppEnv>()
    .get('/.well-known/tandem', (c) =>
      c.json({
        nodeId: identity.nodeId,
        name: settings.name(),
        version: TANDEM_VERSION,
        protocol: PROTOCOL_VERSION,
        modes: [...MODES],
        publicKey: identity.publicJwk,
        linkPath: LINK_PATH,
      }),
    )
    .get('/healthz', (c) => c.json({ ok: true as const }));
