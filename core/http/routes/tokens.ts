// Personal API tokens of the caller: make one (shown once), list them with their last use, revoke one.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiTokens } from '../../people/api-tokens.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';

const tokenSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
const createBody = z.strictObject({ name: z.string().trim().min(1).max(100) });
const created = tokenSchema.extend({
  token: z.string().describe('The token itself, shown this once: use it as `Authorization: Bearer <token>`'),
});

const T = 'Tokens';
export const tokenOperations = [
  operation({
    method: 'post',
    path: '/',
    operationId: 'createToken',
    tag: T,
    summary: 'Make a personal API token; it acts with your role',
    body: createBody,
    responses: { 201: created },
    problems: [409, 415, 422],
    role: 'viewer',
    audit: 'token.created',
  }),
  operation({
    method: 'get',
    path: '/',
    operationId: 'listTokens',
    tag: T,
    summary: 'Your personal API tokens, with their last use',
    responses: { 200: z.strictObject({ items: z.array(tokenSchema) }) },
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'revokeToken',
    tag: T,
    summary: 'Revoke one of your tokens',
    responses: { 204: null },
    problems: [404],
    role: 'viewer',
    audit: 'token.revoked',
  }),
];

/** Whose tokens: the signed-in user's, or (null) the admin token's. */
const owner = (c: Context<AppEnv>) => c.var.principal?.userId ?? null;

export const tokenRoutes = ({ tokens }: { tokens: ApiTokens }) =>
  new Hono<AppEnv>()
    .post('/', jsonBody(createBody), async (c) => {
      const made = await tokens.create(owner(c), c.req.valid('json').name);
      c.var.audit?.note({ target: `token:${made.id}`, detail: { name: made.name } });
      return c.json(made, 201);
    })
    .get('/', async (c) => c.json({ items: await tokens.list(owner(c)) }))
    .delete('/:id', async (c) => {
      const revoked = await tokens.revoke(owner(c), c.req.param('id'));
      c.var.audit?.note({ detail: { name: revoked.name } });
      return c.body(null, 204);
    });
