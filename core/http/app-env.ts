// The hono environment every route module shares: per-request values set by the app, never services.
import type { Logger } from '../log.ts';
import type { Principal } from '../people/principal.ts';
import type { AuditNotes } from './audit-notes.ts';
import type { CredentialLimit } from './credential-limit.ts';
import type { AccountLimit } from './sign-in-limit.ts';

export interface AppEnv {
  Variables: {
    /** The host's logger (the error handler logs what it cannot map). */
    log: Logger;
    /** Counts wrong admin credentials per source address (429 past the limit); one per app. */
    credentialLimit: CredentialLimit;
    /** Counts wrong passwords per account (sign-in and password change); one per app. */
    accountLimit: AccountLimit;
    /** How the caller authenticated: a bearer token or the UI's session cookie. */
    authVia?: 'token' | 'session';
    /** Who is calling /api (set by the guard in core/http/auth-middleware.ts). */
    principal?: Principal;
    /** What this call records in the audit log, beyond its route's declared action. */
    audit?: AuditNotes;
  };
}
