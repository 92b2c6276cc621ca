// Invitation codes: compact JWS (EdDSA only) that carry everything an acceptor needs to pair.
import { createHash } from 'node:crypto';
import { CompactSign, decodeProtectedHeader, errors, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { nodeIdOf, SIGNING_ALG } from '../identity/node-identity.ts';
import { type Refusal, refusal } from './refusals.ts';

export const INVITATION_TYP = 'tandem-invitation+jwt';
export const INVITATION_VERSION = 1;
/** Codes longer than this are refused before any parsing (a real one is well under 2 kB). */
export const MAX_CODE_CHARS = 8192;
export const DEFAULT_EXPIRES_HOURS = 72;
export const MAX_EXPIRES_HOURS = 24 * 30;

const MODE = z.enum(['basic', 'visual', 'script']);
const ED25519_JWK = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(40).max(50),
});

const claimsSchema = z.object({
  v: z.literal(INVITATION_VERSION),
  jti: z.string().min(10).max(64),
  iss: z.string().min(40).max(50),
  aud: z.string().min(40).max(50).optional(),
  iat: z.number().int(),
  exp: z.number().int(),
  lid: z.string().min(10).max(64),
  url: z.string().url().max(2000).nullable(),
  ikt: z.string().min(40).max(50),
  ijwk: ED25519_JWK,
  iname: z.string().max(200),
  mode: MODE,
  localName: z.string().min(1).max(100),
  remoteName: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
});

/** What a verified (or merely decoded) invitation says. Names are from the inviter's point of view. */
export interface Invitation {
  id: string;
  linkId: string;
  inviterNodeId: string;
  inviterName: string;
  inviterUrl: string | null;
  inviterKeyThumbprint: string;
  inviterPublicJwk: JWK;
  destinationNodeId: string | null;
  mode: 'basic' | 'visual' | 'script';
  /** The inviter's short name for itself. */
  localName: string;
  /** The inviter's short name for the acceptor. */
  remoteName: string;
  name: string;
  description: string;
  issuedAt: string;
  expiresAt: string;
}

export interface InvitationDraft {
  linkId: string;
  inviterName: string;
  inviterUrl: string | null;
  destinationNodeId: string | null;
  mode: Invitation['mode'];
  localName: string;
  remoteName: string;
  name: string;
  description: string;
  expiresInHours?: number;
}

export type Verified = { ok: true; invitation: Invitation } | { ok: false; refusal: Refusal };

/**
 * Signs a new invitation with the node key.
 * @example const { code, invitation } = await signInvitation(identity, draft);
 */
export async function signInvitation(
  identity: NodeIdentity,
  draft: InvitationDraft,
  now = new Date(),
): Promise<{ code: string; invitation: Invitation }> {
  const iat = Math.floor(now.getTime() / 1000);
  const hours = draft.expiresInHours ?? DEFAULT_EXPIRES_HOURS;
  const exp = iat + Math.max(1, Math.round(hours * 3600));
  const claims: z.infer<typeof claimsSchema> = {
    v: INVITATION_VERSION,
    jti: nanoid(),
    iss: identity.nodeId,
    ...(draft.destinationNodeId ? { aud: draft.destinationNodeId } : {}),
    iat,
    exp,
    lid: draft.linkId,
    url: draft.inviterUrl,
    ikt: identity.nodeId,
    ijwk: { kty: 'OKP', crv: 'Ed25519', x: identity.publicJwk.x ?? '' },
    iname: draft.inviterName,
    mode: draft.mode,
    localName: draft.localName,
    remoteName: draft.remoteName,
    name: draft.name,
    description: draft.description,
  };
  const { iss, iat: _i, exp: _e, jti, aud, ...rest } = claims;
  let jwt = new SignJWT(rest)
    .setProtectedHeader({ alg: SIGNING_ALG, typ: INVITATION_TYP })
    .setIssuer(iss)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
  if (aud) jwt = jwt.setAudience(aud);
  const code = await jwt.sign(identity.privateKey);
  return { code, invitation: toInvitation(claims) };
}

/**
 * Verifies a code for this node: size, algorithm, type, signature by the key it names, expiry, binding.
 * Never throws; a refusal is a value with a stable code.
 */
export async function verifyInvitation(code: unknown, myNodeId: string, now = new Date()): Promise<Verified> {
  const decoded = await decodeInvitation(code);
  if (!decoded.ok) return decoded;
  const { claims } = decoded;
  try {
    const key = await importJWK({ ...claims.ijwk, alg: SIGNING_ALG }, SIGNING_ALG);
    await jwtVerify(code as string, key, {
      algorithms: [SIGNING_ALG],
      typ: INVITATION_TYP,
      issuer: claims.ikt,
      requiredClaims: ['jti', 'iss', 'iat', 'exp', 'lid', 'ikt', 'ijwk', 'mode'],
      currentDate: now,
      clockTolerance: 0,
    });
  } catch (err) {
    if (err instanceof errors.JWTExpired) return fail('INVITATION_EXPIRED');
    if (err instanceof errors.JOSEAlgNotAllowed) return fail('UNSUPPORTED_ALGORITHM');
    if (err instanceof errors.JWSSignatureVerificationFailed) return fail('INVALID_SIGNATURE');
    return fail('INVALID_INVITATION');
  }
  if (claims.iss === myNodeId) return fail('INVITATION_WRONG_NODE', 'This code was issued by this host');
  if (claims.aud !== undefined && claims.aud !== myNodeId) return fail('INVITATION_WRONG_NODE');
  return { ok: true, invitation: toInvitation(claims) };
}

type Decoded = { ok: true; claims: z.infer<typeof claimsSchema> } | { ok: false; refusal: Refusal };

/** Structure, header and claim checks before the signature is checked. */
async function decodeInvitation(code: unknown): Promise<Decoded> {
  if (typeof code !== 'string') return fail('INVALID_INVITATION');
  const text = code.trim();
  if (text.length > MAX_CODE_CHARS) return fail('PAYLOAD_TOO_LARGE');
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) return fail('INVALID_INVITATION');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: unknown;
  try {
    header = decodeProtectedHeader(text);
    payload = JSON.parse(Buffer.from(text.split('.')[1]!, 'base64url').toString('utf8'));
  } catch {
    return fail('INVALID_INVITATION');
  }
  if (header.alg !== SIGNING_ALG) return fail('UNSUPPORTED_ALGORITHM');
  if (header.typ !== INVITATION_TYP)
    return fail('INVALID_INVITATION', 'This is not a Tandem invitation code');
  if (text.split('.')[2] === '') return fail('INVALID_SIGNATURE');
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) return fail('INVALID_INVITATION');
  const claims = parsed.data;
  // The code names its signer twice (iss and the key thumbprint); both must be the embedded key's id.
  const thumbprint = await nodeIdOf(claims.ijwk).catch(() => '');
  if (thumbprint !== claims.iss || thumbprint !== claims.ikt) return fail('INVALID_SIGNATURE');
  return { ok: true, claims };
}

/** The code's payload segment (base64url JSON, not secret): what `resignInvitation` needs to show the code again. */
export function payloadSegment(code: string): string {
  return code.split('.')[1] ?? '';
}

/**
 * The same code again, from its payload segment: Ed25519 is deterministic, so signing the same bytes
 * under the same header gives the code `signInvitation` gave (nothing secret is stored to re-show it).
 * @example const again = await resignInvitation(identity, payloadSegment(code)); // again === code
 */
export async function resignInvitation(identity: NodeIdentity, payload: string): Promise<string> {
  return new CompactSign(Buffer.from(payload, 'base64url'))
    .setProtectedHeader({ alg: SIGNING_ALG, typ: INVITATION_TYP })
    .sign(identity.privateKey);
}

/** The lifetime in hours a payload segment was signed with (its exp minus iat), if it can be read. */
export function lifetimeHours(payload: string): number | undefined {
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      iat?: unknown;
      exp?: unknown;
    };
    return typeof c.iat === 'number' && typeof c.exp === 'number' ? (c.exp - c.iat) / 3600 : undefined;
  } catch {
    return undefined;
  }
}

function toInvitation(c: z.infer<typeof claimsSchema>): Invitation {
  return {
    id: c.jti,
    linkId: c.lid,
    inviterNodeId: c.iss,
    inviterName: c.iname,
    inviterUrl: c.url,
    inviterKeyThumbprint: c.ikt,
    inviterPublicJwk: c.ijwk,
    destinationNodeId: c.aud ?? null,
    mode: c.mode,
    localName: c.localName,
    remoteName: c.remoteName,
    name: c.name,
    description: c.description,
    issuedAt: new Date(c.iat * 1000).toISOString(),
    expiresAt: new Date(c.exp * 1000).toISOString(),
  };
}

function fail(code: Refusal['code'], message?: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: refusal(code, message) };
}

/** A short, non-secret fingerprint of a code so two admins can compare it over the phone (the code itself is a secret). */
export function codeFingerprint(code: string): string {
  const hex = createHash('sha256').update(code.trim()).digest('hex').slice(0, 16).toUpperCase();
  return hex.match(/.{4}/g)!.join('-');
}
