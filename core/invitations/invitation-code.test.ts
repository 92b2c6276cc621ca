// Invitation codes: signing, verification and every refusal, on real Ed25519 keys.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { identityFromPrivateJwk, type NodeIdentity } from '../identity/node-identity.ts';
import {
  INVITATION_TYP,
  type InvitationDraft,
  MAX_CODE_CHARS,
  signInvitation,
  verifyInvitation,
} from './invitation-code.ts';

async function newIdentity(): Promise<NodeIdentity> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return identityFromPrivateJwk(await exportJWK(pair.privateKey));
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (code: string) => code.split('.') as [string, string, string];
const payloadOf = (code: string) =>
  JSON.parse(Buffer.from(parts(code)[1], 'base64url').toString('utf8')) as Record<string, unknown>;

let inviter: NodeIdentity;
let acceptor: NodeIdentity;
let other: NodeIdentity;

const draft = (extra: Partial<InvitationDraft> = {}): InvitationDraft => ({
  linkId: 'link-000000000001',
  inviterName: 'Acme',
  inviterUrl: 'https://acme.example',
  destinationNodeId: acceptor.nodeId,
  mode: 'script',
  localName: 'acme',
  remoteName: 'globex',
  name: 'Acme to Globex',
  description: 'Incidents both ways',
  ...extra,
});

beforeAll(async () => {
  [inviter, acceptor, other] = await Promise.all([newIdentity(), newIdentity(), newIdentity()]);
});

describe('invitation codes', () => {
  it('round-trips every claim for the bound node', async () => {
    const { code, invitation } = await signInvitation(inviter, draft());
    const v = await verifyInvitation(code, acceptor.nodeId);
    expect(v).toEqual({ ok: true, invitation });
    expect(invitation).toMatchObject({
      inviterNodeId: inviter.nodeId,
      inviterKeyThumbprint: inviter.nodeId,
      destinationNodeId: acceptor.nodeId,
      mode: 'script',
      localName: 'acme',
      remoteName: 'globex',
      inviterUrl: 'https://acme.example',
    });
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.issuedAt)).toBe(72 * 3600 * 1000);
    const header = JSON.parse(Buffer.from(parts(code)[0], 'base64url').toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', typ: INVITATION_TYP });
  });

  it('accepts an unbound code on any other node', async () => {
    const { code } = await signInvitation(inviter, draft({ destinationNodeId: null, inviterUrl: null }));
    expect((await verifyInvitation(code, other.nodeId)).ok).toBe(true);
  });

  it('refuses a code bound to another node, and the inviter accepting its own code', async () => {
    const { code } = await signInvitation(inviter, draft());
    expect(await verifyInvitation(code, other.nodeId)).toMatchObject({
      ok: false,
      refusal: { code: 'INVITATION_WRONG_NODE' },
    });
    const unbound = await signInvitation(inviter, draft({ destinationNodeId: null }));
    expect(await verifyInvitation(unbound.code, inviter.nodeId)).toMatchObject({
      refusal: { code: 'INVITATION_WRONG_NODE' },
    });
  });

  it('refuses an expired code', async () => {
    const { code } = await signInvitation(inviter, draft({ expiresInHours: 1 }));
    const later = new Date(Date.now() + 3601 * 1000);
    expect(await verifyInvitation(code, acceptor.nodeId, later)).toMatchObject({
      refusal: { code: 'INVITATION_EXPIRED' },
    });
  });

  it('refuses a tampered payload and a tampered signature', async () => {
    const { code } = await signInvitation(inviter, draft());
    const [h, , s] = parts(code);
    const tampered = `${h}.${b64({ ...payloadOf(code), mode: 'basic' })}.${s}`;
    expect(await verifyInvitation(tampered, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'INVALID_SIGNATURE' },
    });
    const badSig = `${parts(code)[0]}.${parts(code)[1]}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(await verifyInvitation(badSig, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'INVALID_SIGNATURE' },
    });
  });

  it('refuses alg none and any other algorithm', async () => {
    const { code } = await signInvitation(inviter, draft());
    const none = `${b64({ alg: 'none', typ: INVITATION_TYP })}.${parts(code)[1]}.`;
    expect(await verifyInvitation(none, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'UNSUPPORTED_ALGORITHM' },
    });
    const secret = new TextEncoder().encode(String(inviter.publicJwk.x));
    const hs = await new SignJWT(payloadOf(code))
      .setProtectedHeader({ alg: 'HS256', typ: INVITATION_TYP })
      .sign(secret);
    expect(await verifyInvitation(hs, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'UNSUPPORTED_ALGORITHM' },
    });
  });

  it('ignores an embedded jwk header: the key is the one the issuer claim names', async () => {
    const { code } = await signInvitation(inviter, draft());
    // An attacker re-signs the inviter's claims with its own key and offers that key in the header.
    const forged = await new SignJWT(payloadOf(code))
      .setProtectedHeader({ alg: 'EdDSA', typ: INVITATION_TYP, jwk: other.publicJwk })
      .sign(other.privateKey);
    expect(await verifyInvitation(forged, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'INVALID_SIGNATURE' },
    });
    // Swapping the embedded key without the issuer breaks the thumbprint binding.
    const swapped = await new SignJWT({ ...payloadOf(code), ijwk: other.publicJwk })
      .setProtectedHeader({ alg: 'EdDSA', typ: INVITATION_TYP })
      .sign(other.privateKey);
    expect(await verifyInvitation(swapped, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'INVALID_SIGNATURE' },
    });
  });

  it('refuses garbage, the wrong type and oversized input', async () => {
    for (const garbage of ['hello', '', 42, null, 'a.b.c', '...']) {
      expect(await verifyInvitation(garbage, acceptor.nodeId)).toMatchObject({
        refusal: { code: 'INVALID_INVITATION' },
      });
    }
    const { code } = await signInvitation(inviter, draft());
    const jwt = await new SignJWT(payloadOf(code))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .sign(inviter.privateKey);
    expect(await verifyInvitation(jwt, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'INVALID_INVITATION' },
    });
    const huge = `${parts(code)[0]}.${'A'.repeat(MAX_CODE_CHARS)}.${parts(code)[2]}`;
    expect(await verifyInvitation(huge, acceptor.nodeId)).toMatchObject({
      refusal: { code: 'PAYLOAD_TOO_LARGE' },
    });
  });
});
