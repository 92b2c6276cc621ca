// Who is calling the admin API: the bootstrap admin token, or a user (by session or personal token), with a role.
import type { Role } from './roles.ts';

/** The actor name of the bootstrap admin token (and of its sessions and personal tokens). */
export const ADMIN_TOKEN_ACTOR = 'admin-token';

/**
 * The authenticated caller of one request.
 * @example { actor: 'ana@example.com', role: 'rules', userId: 'u1', via: 'token', token: { id: 't1', name: 'ci' } }
 */
export interface Principal {
  /** The user's email, or `admin-token`: what the audit log records. */
  actor: string;
  role: Role;
  /** Null for the admin token. */
  userId: string | null;
  via: 'token' | 'session';
  /** The personal API token the call used, if any. */
  token?: { id: string; name: string };
}

export const adminTokenPrincipal = (via: Principal['via']): Principal => ({
  actor: ADMIN_TOKEN_ACTOR,
  role: 'admin',
  userId: null,
  via,
});
