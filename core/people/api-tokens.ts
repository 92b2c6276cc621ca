// Named personal API tokens: shown once, kept as SHA-256 only, listed with their last use, revocable by their owner.
import { createHash, randomBytes } from 'node:crypto';
import { nanoid } from 'nanoid';
import type { Db } from '../../storage/schema.ts';
import { conflict, notFound } from '../errors.ts';

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Who a token belongs to: a user id, or null for the bootstrap admin token. */
export type TokenOwner = string | null;

/**
 * Personal tokens of one owner at a time; `resolve` finds any token's owner for the auth guard.
 * @example const { token } = await tokens.create(userId, 'ci'); await tokens.resolve(token) // { userId, ... }
 */
export interface ApiTokens {
  /** 409 `token_name_taken` when the owner has a token of that name. */
  create(owner: TokenOwner, name: string): Promise<ApiToken & { token: string }>;
  list(owner: TokenOwner): Promise<ApiToken[]>;
  /** 404 unless the token is the owner's. */
  revoke(owner: TokenOwner, id: string): Promise<ApiToken>;
  /** The token's id, name and owner, or undefined; notes the use (at most once a minute). */
  resolve(token: string): Promise<{ id: string; name: string; userId: TokenOwner } | undefined>;
  /** Revokes every token of the bootstrap admin token (when it is replaced). */
  revokeAdminTokens(): Promise<void>;
}

/** The prefix every personal token starts with (so scanners and people can recognise one). */
export const TOKEN_PREFIX = 'tdp_';
const USE_NOTED_EVERY_MS = 60_000;

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function createApiTokens(db: Db, now: () => Date = () => new Date()): ApiTokens {
  const owned = (owner: TokenOwner) =>
    db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'created_at', 'last_used_at'])
      .where('user_id', owner === null ? 'is' : '=', owner);
  const view = (r: {
    id: string;
    name: string;
    created_at: string;
    last_used_at: string | null;
  }): ApiToken => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  });
  return {
    async create(owner, name) {
      if (await owned(owner).where('name', '=', name).executeTakeFirst())
        throw conflict('TOKEN_NAME_TAKEN', `You already have a token named "${name}"`);
      const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const row = { id: nanoid(), name, created_at: now().toISOString(), last_used_at: null };
      await db
        .insertInto('api_tokens')
        .values({ ...row, user_id: owner, token_hash: hashOf(token) })
        .execute();
      return { ...view(row), token };
    },

    async list(owner) {
      return (await owned(owner).orderBy('created_at').execute()).map(view);
    },

    async revoke(owner, id) {
      const row = await owned(owner).where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('Token', id);
      await db.deleteFrom('api_tokens').where('id', '=', id).execute();
      return view(row);
    },

    async resolve(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const row = await db
        .selectFrom('api_tokens')
        .select(['id', 'name', 'user_id', 'last_used_at'])
        .where('token_hash', '=', hashOf(token))
        .executeTakeFirst();
      if (!row) return undefined;
      const at = now();
      // One write a minute at most: a script calling in a loop must not turn every read into a write.
      if (!row.last_used_at || at.getTime() - Date.parse(row.last_used_at) >= USE_NOTED_EVERY_MS)
        await db
          .updateTable('api_tokens')
          .set({ last_used_at: at.toISOString() })
          .where('id', '=', row.id)
          .execute();
      return { id: row.id, name: row.name, userId: row.user_id };
    },

    async revokeAdminTokens() {
      await db.deleteFrom('api_tokens').where('user_id', 'is', null).execute();
    },
  };
}
