// The caller's own account: who and what role it is, and a new password for a user.
import { Hono } from 'hono';
import { z } from 'zod';
import { conflict, validationFailed } from '../../errors.ts';
import { ROLES } from '../../people/roles.ts';
import type { UserStore } from '../../people/user-store.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';
import { passwordSchema, userSchema } from './users.ts';

const accountSchema = z.strictObject({
  actor: z.string().describe('Your email, or `admin-token`'),
  role: z.enum(ROLES),
  via: z.enum(['token', 'session']),
  user: userSchema.nullable().describe('Null for the admin token'),
  token: z.strictObject({ id: z.string(), name: z.string() }).nullable().describe('The personal token used'),
});
const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: passwordSchema,
});

const T = 'Account';
export const accountOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'getAccount',
    tag: T,
    summary: 'Who you are signed in as, and your role',
    responses: { 200: accountSchema },
  }),
  operation({
    method: 'post',
    path: '/password',
    operationId: 'changePassword',
    tag: T,
    summary: 'Change your own password; your sessions end (sign in again with the new one)',
    description: '409 `no_password` for the admin token, which has none.',
    body: passwordBody,
    responses: { 204: null },
    problems: [409, 415, 422, 429],
    role: 'viewer',
    audit: 'user.password_changed',
  }),
];

export const accountRoutes = ({ users }: { users: UserStore }) =>
  new Hono<AppEnv>()
    .get('/', async (c) => {
      const p = c.var.principal!;
      const user = p.userId ? ((await users.get(p.userId)) ?? null) : null;
      return c.json({ actor: p.actor, role: p.role, via: p.via, user, token: p.token ?? null });
    })
    .post('/password', jsonBody(passwordBody), async (c) => {
      const p = c.var.principal!;
      if (!p.userId)
        throw conflict('NO_PASSWORD', 'The admin token has no password; `tandem reset-token` replaces it');
      const body = c.req.valid('json');
      // Someone at an unlocked console must not learn the password by trying: counted like sign-ins.
      const refused = c.var.accountLimit.blocked(c, p.actor);
      if (refused) throw refused;
      if (!(await users.authenticate(p.actor, body.currentPassword))) {
        c.var.accountLimit.failed(p.actor);
        throw validationFailed([{ path: 'currentPassword', message: 'is not your current password' }]);
      }
      await users.update(p.userId, { password: body.newPassword });
      c.var.audit?.note({ target: `user:${p.userId}`, detail: {} });
      return c.body(null, 204);
    });
