// Admin routes of invitation codes: inspect (no side effects) and accept (pairs, rate-limited).
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionService } from '../../connections/connection-service.ts';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import { fingerprintOf } from '../../identity/node-identity.ts';
import { codeFingerprint, inspectInvitation } from '../../invitations/invitation-code.ts';
import { refusalError } from '../../invitations/refusals.ts';
import type { AppEnv } from '../app-env.ts';
import { readJson } from '../body.ts';

const inspectBody = z.object({ code: z.string() }).strict();
const acceptBody = z
  .object({ code: z.string(), publicUrl: z.string().trim().max(2000).nullable().optional() })
  .strict();

export const invitationRoutes = ({
  identity,
  connections,
}: {
  identity: NodeIdentity;
  connections: ConnectionService;
}) =>
  new Hono<AppEnv>()
    .post('/inspect', async (c) => {
      const { code } = await readJson(c, inspectBody);
      const seen = await inspectInvitation(code, identity.nodeId);
      if (!('invitation' in seen)) throw refusalError(seen.refusal);
      const inv = seen.invitation;
      return c.json({
        ...inv,
        inviterFingerprint: fingerprintOf(inv.inviterNodeId),
        fingerprint: codeFingerprint(code),
        // What this host would call itself and its peer, for the accept form.
        suggested: { localName: inv.remoteName, remoteName: inv.localName },
        valid: seen.valid,
        refusal: seen.refusal
          ? { code: seen.refusal.code.toLowerCase(), message: seen.refusal.message }
          : null,
      });
    })
    .post('/accept', async (c) => {
      const body = await readJson(c, acceptBody);
      const connection = await connections.accept({ code: body.code, publicUrl: body.publicUrl });
      return c.json({ connection }, 201);
    });
