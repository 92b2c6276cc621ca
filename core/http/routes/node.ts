// The node's own settings: name, public URL, key fingerprint.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Leases } from '../../cluster/leases.ts';
import { assertHttpUrl } from '../../config.ts';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import type { NodeSettings } from '../../identity/node-settings.ts';
import { TANDEM_VERSION } from '../../version.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';

const nodePatch = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    publicUrl: z.string().trim().max(2000).nullable().optional(),
  })
  .strict();

/** A `tandem start` process of this node: one on SQLite, one or more on a shared PostgreSQL database. */
export const nodeProcessSchema = z.strictObject({
  id: z.string(),
  /** The process's own listen URL (the node's address is `publicUrl`). */
  url: z.string(),
  startedAt: z.string(),
  lastSeenAt: z.string(),
  /** The connections whose link and sync run in this process. */
  connections: z.array(z.string()),
});

export const nodeSchema = z.strictObject({
  nodeId: z.string(),
  name: z.string(),
  publicUrl: z.string().nullable(),
  fingerprint: z.string(),
  version: z.string(),
  processes: z.array(nodeProcessSchema),
});

export const nodeOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getNode',
    tag: 'Node',
    summary: 'This node',
    responses: { 200: nodeSchema },
  }),
  operation({
    method: 'patch',
    path: '/',
    operationId: 'updateNode',
    tag: 'Node',
    summary: 'Change name or public URL',
    body: nodePatch,
    responses: { 200: nodeSchema },
    problems: [422],
    audit: 'node.updated',
  }),
];

interface NodeDeps {
  identity: NodeIdentity;
  settings: NodeSettings;
  cluster: { leases: Pick<Leases, 'processes'> };
}

export const nodeRoutes = (deps: NodeDeps) =>
  new Hono<AppEnv>()
    .get('/', async (c) => c.json(await nodeView(deps)))
    .patch('/', jsonBody(nodePatch), async (c) => {
      const body = c.req.valid('json');
      const publicUrl =
        body.publicUrl === undefined
          ? undefined
          : body.publicUrl === null || body.publicUrl === ''
            ? null
            : assertHttpUrl(body.publicUrl, 'public URL').toString().replace(/\/+$/, '');
      await deps.settings.update({
        ...(body.name ? { name: body.name } : {}),
        ...(publicUrl !== undefined ? { publicUrl } : {}),
      });
      return c.json(await nodeView(deps));
    });

async function nodeView(host: NodeDeps) {
  return {
    nodeId: host.identity.nodeId,
    name: host.settings.name(),
    publicUrl: host.settings.publicUrl(),
    fingerprint: host.identity.fingerprint,
    version: TANDEM_VERSION,
    processes: await host.cluster.leases.processes(),
  };
}
