// Admin routes of invitation codes: inspect (no side effects) and accept (pairs, rate-limited).
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionService } from '../../connections/connection-service.ts';
import type { NodeIdentity } from '../../identity/node-identity.ts';
import { fingerprintOf } from '../../identity/node-identity.ts';
import { codeFingerprint, inspectInvitation } from '../../invitations/invitation-code.ts';
import { refusalError } from '../../invitations/refusals.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation } from '../contract.ts';
import { connectionSchema } from './connections.ts';
import { MODES } from './public.ts';

const inspectBody = z.strictObject({ code: z.string() });
const acceptBody = z.strictObject({
  code: z.string(),
  publicUrl: z.string().trim().max(2000).nullable().optional().describe('Our URL, when the inviter has none'),
});

/** What a code says (names from the inviter's point of view), and whether this host could accept it now. */
export const invitationSummarySchema = z.strictObject({
  id: z.string(),
  linkId: z.string(),
  inviterNodeId: z.string(),
  inviterName: z.string(),
  inviterUrl: z.string().nullable(),
  inviterKeyThumbprint: z.string(),
  inviterPublicJwk: z.record(z.string(), z.unknown()),
  inviterFingerprint: z.string(),
  destinationNodeId: z.string().nullable().describe('Set when the code is bound to one host'),
  mode: z.enum(MODES),
  localName: z.string().describe("The inviter's short name for itself"),
  remoteName: z.string().describe("The inviter's short name for the acceptor"),
  name: z.string(),
  description: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  fingerprint: z.string().describe("The code's short, non-secret fingerprint"),
  suggested: z.strictObject({ localName: z.string(), remoteName: z.string() }),
  valid: z.boolean().describe('Whether this host could accept the code now'),
  refusal: z
    .strictObject({ code: z.string(), message: z.string() })
    .nullable()
    .describe('Why not, when not valid'),
});

const T = 'Invitations';
export const invitationOperations = [
  operation({
    method: 'post',
    path: '/inspect',
    operationId: 'inspectInvitation',
    tag: T,
    summary: 'What a code says, without side effects',
    body: inspectBody,
    responses: { 200: invitationSummarySchema },
    problems: [400, 410, 415, 422],
  }),
  operation({
    method: 'post',
    path: '/accept',
    operationId: 'acceptInvitation',
    tag: T,
    summary: 'Accept a code: verify, complete the handshake, pin the inviter',
    description: 'Refusals carry codes such as `invitation_expired`, `invitation_used`, `invalid_signature`.',
    body: acceptBody,
    responses: { 201: z.strictObject({ connection: connectionSchema }) },
    problems: [400, 409, 410, 415, 422, 429, 502],
  }),
];

export const invitationRoutes = ({
  identity,
  connections,
}: {
  identity: NodeIdentity;
  connections: ConnectionService;
}) =>
  new Hono<AppEnv>()
    .post('/inspect', jsonBody(inspectBody), async (c) => {
      const { code } = c.req.valid('json');
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
    .post('/accept', jsonBody(acceptBody), async (c) => {
      const body = c.req.valid('json');
      const connection = await connections.accept({ code: body.code, publicUrl: body.publicUrl });
      return c.json({ connection }, 201);
    });
