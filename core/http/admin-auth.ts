// Admin credentials: one bearer token (stored only as a hash), and browser sessions made from it or a user's password.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import { readSetting, writeSetting, writeSettingIfAbsent } from '../identity/node-settings.ts';

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** A chosen admin token needs this many characters (a generated one has 47). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export interface AdminAuth {
  checkToken(token: string): boolean;
  /** A new session: of a user, or (no user) of the admin token. */
  createSession(userId?: string | null): Promise<{ id: string; expiresAt: Date }>;
  checkSession(id: string): Promise<boolean>;
  /** A live session's user (null: the admin token's), or undefined when there is no such session. */
  session(id: string): Promise<{ userId: string | null } | undefined>;
  endSession(id: string): Promise<void>;
}

export const SESSION_COOKIE = 'tandem_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The CSRF token of a session: derived from the session id (which only the HttpOnly cookie holds), so it
 * needs no storage and a page can be given it again; it says nothing about the id.
 */
export function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('tandem-csrf').digest('base64url');
}

/** Whether `presented` is the CSRF token of the session, compared in constant time. */
export function checkCsrfToken(sessionId: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenOf(sessionId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function generateToken(): string {
  return `tdm_${randomBytes(32).toString('base64url')}`;
}

/**
 * Why a chosen admin token is too easy to guess, or undefined when it is long and varied enough:
 * fewer than 32 characters, a short pattern repeated, or only a handful of distinct characters.
 * @example adminTokenWeakness('letmein') // 'it has 7 characters'
 */
export function adminTokenWeakness(token: string): string | undefined {
  const chars = [...token];
  if (chars.length < MIN_ADMIN_TOKEN_LENGTH) return `it has ${chars.length} characters`;
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.every((ch, i) => ch === chars[i % period]))
      return `it repeats one pattern of ${period} characters`;
  }
  const distinct = new Set(chars).size;
  if (distinct < 8) return `it uses only ${distinct} different characters`;
  return undefined;
}

/** Refuses a TANDEM_ADMIN_TOKEN that is too easy to guess; the message never contains the token. */
export function assertStrongAdminToken(token: string): void {
  const weakness = adminTokenWeakness(token);
  if (!weakness) return;
  throw new TandemError(
    'ADMIN_TOKEN_TOO_SHORT',
    400,
    `TANDEM_ADMIN_TOKEN is too easy to guess (${weakness}; at least ${MIN_ADMIN_TOKEN_LENGTH} random ` +
      'characters are needed): set one made by `openssl rand -base64 32`, or unset it and run ' +
      '`tandem reset-token` to have one generated',
  );
}

/**
 * Sets up the admin token: the env token wins; otherwise the first start makes one.
 * Returns the token only when it was just generated, so the caller can print it once.
 */
export async function initAdminAuth(
  db: Db,
  envToken: string | undefined,
): Promise<{ auth: AdminAuth; generated?: string }> {
  let generated: string | undefined;
  if (envToken) {
    assertStrongAdminToken(envToken);
    await writeSetting(db, 'admin.token_hash', sha256(envToken).toString('hex'));
  } else if (!(await readSetting(db, 'admin.token_hash'))) {
    const token = generateToken();
    // Processes starting together on one database: only the one whose token was stored prints it.
    if (await writeSettingIfAbsent(db, 'admin.token_hash', sha256(token).toString('hex'))) generated = token;
  }
  const stored = Buffer.from((await readSetting(db, 'admin.token_hash'))!, 'hex');
  const auth: AdminAuth = {
    // Both sides are fixed-length digests, so the comparison time says nothing about the token.
    checkToken: (token) => timingSafeEqual(sha256(token), stored),
    async createSession(userId = null) {
      const id = randomBytes(32).toString('base64url');
      const now = new Date();
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
      await db
        .insertInto('sessions')
        .values({
          id_hash: sha256(id).toString('hex'),
          created_at: now.toISOString(),
          expires_at: expiresAt.toISOString(),
          user_id: userId,
        })
        .execute();
      await db.deleteFrom('sessions').where('expires_at', '<', now.toISOString()).execute();
      return { id, expiresAt };
    },
    async checkSession(id) {
      const row = await db
        .selectFrom('sessions')
        .select('expires_at')
        .where('id_hash', '=', sha256(id).toString('hex'))
        .executeTakeFirst();
      return !!row && row.expires_at > new Date().toISOString();
    },
    async session(id) {
      const row = await db
        .selectFrom('sessions')
        .select(['expires_at', 'user_id'])
        .where('id_hash', '=', sha256(id).toString('hex'))
        .executeTakeFirst();
      if (!row || row.expires_at <= new Date().toISOString()) return undefined;
      return { userId: row.user_id ?? null };
    },
    async endSession(id) {
      await db.deleteFrom('sessions').where('id_hash', '=', sha256(id).toString('hex')).execute();
    },
  };
  return generated ? { auth, generated } : { auth };
}

/**
 * Replaces the admin token with a new one (the `tandem reset-token` command). Every session ends, and the
 * personal tokens made with the old admin token are revoked: whoever held it kept no way back in.
 */
export async function resetAdminToken(db: Db): Promise<string> {
  const token = generateToken();
  await db.transaction().execute(async (tx) => {
    await writeSetting(tx, 'admin.token_hash', sha256(token).toString('hex'));
    await tx.deleteFrom('sessions').execute();
    await tx.deleteFrom('api_tokens').where('user_id', 'is', null).execute();
  });
  return token;
}
