// The link handshake: messages and the signed challenge-response proofs both sides exchange.
import { randomBytes } from 'node:crypto';
import { decodeJwt, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { type NodeIdentity, nodeIdOf, SIGNING_ALG } from '../identity/node-identity.ts';

export const PROOF_TYP = 'tandem-link+jwt';
/** Largest clock difference between two hosts the handshake tolerates. */
export const MAX_CLOCK_SKEW_MS = 120_000;
export const MAX_PROOF_CHARS = 4096;

const nodeId = z.string().min(40).max(50);
const nonce = z.string().min(22).max(64);

export const helloMessage = z.object({ t: z.literal('hello'), v: z.number().int(), nodeId, nonce }).strict();
export const authMessage = z
  .object({ t: z.literal('auth'), proof: z.string().max(MAX_PROOF_CHARS) })
  .strict();
export const okMessage = z.object({ t: z.literal('ok'), proof: z.string().max(MAX_PROOF_CHARS) }).strict();
export const refusedMessage = z
  .object({ t: z.literal('refused'), code: z.string().max(64), message: z.string().max(500) })
  .strict();

export const proofClaims = z.object({
  iss: nodeId,
  aud: nodeId,
  lid: z.string().min(1).max(64),
  /** The challenge: the nonce the other side sent on this very socket. */
  n: nonce,
  /** This side's own fresh nonce, which the answer must sign. */
  dn: nonce,
  v: z.number().int(),
  ts: z.number().int(),
  jwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(40).max(50) }),
  url: z.string().max(2000).nullable(),
  name: z.string().max(200),
  /** Present on the first dial of an acceptor: the invitation it accepted. */
  jti: z.string().max(64).optional(),
});
export type ProofClaims = z.infer<typeof proofClaims>;

export const newNonce = (): string => randomBytes(24).toString('base64url');

export async function signProof(
  identity: NodeIdentity,
  claims: Omit<ProofClaims, 'iss' | 'ts' | 'jwk'>,
): Promise<string> {
  const { aud, ...rest } = claims;
  return new SignJWT({
    ...rest,
    ts: Date.now(),
    jwk: { kty: 'OKP', crv: 'Ed25519', x: identity.publicJwk.x ?? '' },
  })
    .setProtectedHeader({ alg: SIGNING_ALG, typ: PROOF_TYP })
    .setIssuer(identity.nodeId)
    .setAudience(aud)
    .setIssuedAt()
    .sign(identity.privateKey);
}

export type ProofCheck =
  | { ok: true; claims: ProofClaims; skewMs: number }
  | { ok: false; code: 'bad_proof' | 'wrong_key' | 'stale_proof'; message: string };

/**
 * Verifies a proof: EdDSA only, our typ, addressed to us, answering our nonce, signed by the key it
 * carries, that key being the expected node's (and the pinned one when we have it), time within skew.
 */
export async function verifyProof(
  proof: string,
  expect: { me: string; nonce: string; peerNodeId?: string | null; pinnedJwk?: JWK | null },
): Promise<ProofCheck> {
  let claims: ProofClaims;
  try {
    const parsed = proofClaims.safeParse(decodeJwt(proof));
    if (!parsed.success) return { ok: false, code: 'bad_proof', message: 'Malformed handshake proof' };
    claims = parsed.data;
  } catch {
    return { ok: false, code: 'bad_proof', message: 'Malformed handshake proof' };
  }
  const thumbprint = await nodeIdOf(claims.jwk);
  if (thumbprint !== claims.iss)
    return { ok: false, code: 'bad_proof', message: 'Proof key does not match its issuer' };
  if (expect.peerNodeId && claims.iss !== expect.peerNodeId) {
    return {
      ok: false,
      code: 'wrong_key',
      message: 'The peer presented another node key than the one expected',
    };
  }
  if (expect.pinnedJwk && expect.pinnedJwk.x !== claims.jwk.x) {
    return { ok: false, code: 'wrong_key', message: 'The peer presented another key than the pinned one' };
  }
  try {
    const key = await importJWK({ ...claims.jwk, alg: SIGNING_ALG }, SIGNING_ALG);
    await jwtVerify(proof, key, {
      algorithms: [SIGNING_ALG],
      typ: PROOF_TYP,
      issuer: claims.iss,
      audience: expect.me,
      requiredClaims: ['iat', 'lid', 'n', 'dn'],
      clockTolerance: MAX_CLOCK_SKEW_MS / 1000,
      maxTokenAge: MAX_CLOCK_SKEW_MS / 1000,
    });
  } catch {
    return { ok: false, code: 'bad_proof', message: 'Handshake proof signature or time does not verify' };
  }
  if (claims.n !== expect.nonce)
    return { ok: false, code: 'stale_proof', message: 'Handshake proof answers another challenge' };
  const skewMs = Date.now() - claims.ts;
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      code: 'stale_proof',
      message: `Clock skew ${Math.round(skewMs / 1000)} s exceeds the bound`,
    };
  }
  return { ok: true, claims, skewMs };
}
