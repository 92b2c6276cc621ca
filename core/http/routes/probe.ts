// Admin route that probes a destination host before initiating a connection.
import { Hono } from 'hono';
import { z } from 'zod';
import { baseUrl, probePeer } from '../../connections/probe.ts';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import { fingerprintOf } from '../../identity/node-identity.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';
import { MODES } from './public.ts';

const probeQuery = z.object({ url: z.string().trim().min(1).max(2000).describe('Destination URL') });

/** The destination's well-known document (as it sent it), plus what this host makes of it. */
export const probeSchema = z.strictObject({
  nodeId: z.string(),
  name: z.string(),
  version: z.string(),
  protocol: z.number().int(),
  modes: z.array(z.string()),
  publicKey: z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() }),
  linkPath: z.string(),
  url: z.string().describe('The base URL that was probed'),
  fingerprint: z.string(),
  self: z.boolean().describe('True when the URL is this host itself'),
  commonModes: z.array(z.enum(MODES)).describe('The modes both hosts offer'),
});

export const probeOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'probe',
    tag: 'Node',
    summary: "A destination's well-known document and the modes both hosts offer",
    query: probeQuery,
    responses: { 200: probeSchema },
    problems: [422, 502],
  }),
];

export const probeRoutes = ({ identity }: { identity: NodeIdentity }) =>
  new Hono<AppEnv>().get('/', queryOf(probeQuery), async (c) => {
    const { url } = c.req.valid('query');
    const base = baseUrl(url);
    const doc = await probePeer(base);
    return c.json({
      ...doc,
      url: base,
      fingerprint: fingerprintOf(doc.nodeId),
      self: doc.nodeId === identity.nodeId,
      commonModes: MODES.filter((m) => doc.modes.includes(m)),
    });
  });
