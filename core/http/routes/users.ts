// Admin routes of local users: create, list, change (name, email, role, password) and remove; never the last admin.
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../people/passwords.ts';
import { ROLES } from '../../people/roles.ts';
import type { UserStore } from '../../people/user-store.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';

export const userSchema = z.strictObject({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must have at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);
const email = z.email().max(320);
const name = z.string().trim().min(1).max(200);

const createBody = z.strictObject({ email, name, role: z.enum(ROLES), password: passwordSchema });
const patchBody = z.strictObject({
  email: email.optional(),
  name: name.optional(),
  role: z.enum(ROLES).optional(),
  password: passwordSchema.optional().describe("A new password; ends the user's sessions"),
});

const T = 'Users';
export const userOperations = [
  operation({
    method: 'post',
    path: '/',
    operationId: 'createUser',
    tag: T,
    summary: 'Add a user with a role and a password',
    body: createBody,
    responses: { 201: userSchema },
    problems: [409, 415, 422],
    audit: 'user.created',
  }),
  operation({
    method: 'get',
    path: '/',
    operationId: 'listUsers',
    tag: T,
    summary: 'Every user, by email',
    responses: { 200: z.strictObject({ items: z.array(userSchema) }) },
  }),
  operation({
    method: 'patch',
    path: '/:id',
    operationId: 'updateUser',
    tag: T,
    summary: "Change a user's email, name, role or password",
    description: 'Demoting the only admin is refused with 409 `last_admin`.',
    body: patchBody,
    responses: { 200: userSchema },
    problems: [404, 409, 415, 422],
    audit: 'user.updated',
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteUser',
    tag: T,
    summary: 'Remove a user, their sessions and their API tokens',
    description: 'Removing the only admin is refused with 409 `last_admin`.',
    responses: { 204: null },
    problems: [404, 409],
    audit: 'user.deleted',
  }),
];

export const userRoutes = ({ users }: { users: UserStore }) =>
  new Hono<AppEnv>()
    .post('/', jsonBody(createBody), async (c) => {
      const user = await users.create(c.req.valid('json'));
      c.var.audit?.note({
        target: `user:${user.id}`,
        detail: { email: user.email, name: user.name, role: user.role },
      });
      return c.json(user, 201);
    })
    .get('/', async (c) => c.json({ items: await users.list() }))
    .patch('/:id', jsonBody(patchBody), async (c) => {
      const { password, ...rest } = c.req.valid('json');
      const user = await users.update(c.req.param('id'), c.req.valid('json'));
      c.var.audit?.note({
        detail: { email: user.email, ...rest, ...(password ? { password: 'changed' } : {}) },
      });
      return c.json(user);
    })
    .delete('/:id', async (c) => {
      const user = await users.remove(c.req.param('id'));
      c.var.audit?.note({ detail: { email: user.email, role: user.role } });
      return c.body(null, 204);
    });
