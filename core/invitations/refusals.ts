// Why an invitation or a pairing handshake is refused: one stable code each, as values.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { TandemError } from '../errors.ts';

const CATALOGUE = {
  INVALID_INVITATION: [400, 'The invitation code is not valid'],
  PAYLOAD_TOO_LARGE: [413, 'The invitation code is far too long to be real'],
  UNSUPPORTED_ALGORITHM: [400, 'The invitation code is not signed with EdDSA'],
  INVALID_SIGNATURE: [400, 'The invitation code signature does not verify (tampered or truncated)'],
  INVITATION_EXPIRED: [410, 'The invitation code has expired; ask for a new one'],
  INVITATION_WRONG_NODE: [403, 'The invitation code was made for another host'],
  INVITATION_USED: [409, 'The invitation code has already been used'],
  INVITATION_REPLACED: [410, 'The inviter made a new code for this connection; ask for the current one'],
  INVITER_KEY_MISMATCH: [502, "The inviter's handshake key does not match the key in the code"],
  PEER_UNREACHABLE: [502, 'The inviting host could not be reached'],
  NO_REACHABLE_SIDE: [422, 'Neither host has a URL the other can reach'],
  RATE_LIMITED: [429, 'Too many invitation attempts; wait a minute and retry'],
} as const satisfies Record<string, readonly [ContentfulStatusCode, string]>;

export type RefusalCode = keyof typeof CATALOGUE;

export interface Refusal {
  code: RefusalCode;
  message: string;
}

export function refusal(code: RefusalCode, message?: string): Refusal {
  return { code, message: message ?? CATALOGUE[code][1] };
}

export function isRefusalCode(code: string): code is RefusalCode {
  return Object.hasOwn(CATALOGUE, code);
}

/** The HTTP face of a refusal: problem+json with the lower-cased code. */
export function refusalError(r: Refusal): TandemError {
  return new TandemError(r.code, CATALOGUE[r.code][0], r.message);
}
