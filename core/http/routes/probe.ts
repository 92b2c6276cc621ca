// Admin route that probes a destination host before initiating a connection.
import { Hono } from 'hono';
import { z } from 'zod';
import { baseUrl, probePeer } from '../../connections/probe.ts';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import { fingerprintOf } from '../../identity/node-identity.ts';
import type { AppEnv } from '../app-env.ts';
import { readQuery } from '../body.ts';
import { MODES } from './public.ts';

const probeQuery = z.object({ url: z.string().trim().min(1).max(2000) });

export const probeRoutes = ({ identity }: { identity: NodeIdentity }) =>
  new Hono<AppEnv>().get('/', async (c) => {
    const { url } = readQuery(c, probeQuery);
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
