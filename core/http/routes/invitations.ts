// Admin routes of invitation codes: inspect (no side effects) and accept (pairs, rate-limited).
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectionService } from '../../connections/connection-service.ts';
import { fingerprintOf } from '../../identity/node-identity.ts';
import { codeFingerprint } from '../../invitations/invitation-code.ts';
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
  valid: z
    .boolean()
    .describe('Always true: a code this host could not accept now is refused as accept refuses it'),
  refusal: z
    .strictObject({ code: z.string(), message: z.string() })
    .nullable()
    .describe('Always null (kept for older clients)'),
});

const T = 'Invitations';
export const invitationOperations = [
  operation({
    method: 'post',
    path: '/inspect',
    operationId: 'inspectInvitation',
    tag: T,
    summary: 'What a code says, without side effects, once it verifies as accept verifies it',
    description:
      'A code that accept would refuse (bad signature, expired, made for another host, already used here) is refused the same way, with no contents: `invalid_invitation`, `invalid_signature`, `invitation_expired`, `invitation_wrong_node`, `invitation_used`.',
    body: inspectBody,
    responses: { 200: invitationSummarySchema },
    problems: [400, 403, 409, 410, 413, 415, 422],
    audit: { none: 'reads a code; changes nothing' },
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
    audit: 'connection.accepted',
  }),
];

export const invitationRoutes = ({ connections }: { connections: ConnectionService }) =>
  new Hono<AppEnv>()
    .post('/inspect', jsonBody(inspectBody), async (c) => {
      const { code } = c.req.valid('json');
      const inv = await connections.inspect(code);
      return c.json({
        ...inv,
        inviterFingerprint: fingerprintOf(inv.inviterNodeId),
        fingerprint: codeFingerprint(code),
        // What this host would call itself and its peer, for the accept form.
        suggested: { localName: inv.remoteName, remoteName: inv.localName },
        valid: true,
        refusal: null,
      });
    })
    .post('/accept', jsonBody(acceptBody), async (c) => {
      const body = c.req.valid('json');
      const connection = await connections.accept({ code: body.code, publicUrl: body.publicUrl });
      c.var.audit?.note({
        target: `connection:${connection.id}`,
        // Never the code: its fingerprint names it.
        detail: {
          name: connection.name,
          fingerprint: codeFingerprint(body.code),
          peer: connection.peer.name,
        },
      });
      return c.json({ connection }, 201);
    });
