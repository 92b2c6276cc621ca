// The hono environment every route module shares: per-request values set by the app, never services.
import type { Logger } from '../log.ts';
import type { CredentialLimit } from './credential-limit.ts';

export interface AppEnv {
  Variables: {
    /** The host's logger (the error handler logs what it cannot map). */
    log: Logger;
    /** Counts wrong admin credentials per source address (429 past the limit); one per app. */
    credentialLimit: CredentialLimit;
    /** How the caller authenticated: a bearer token or the UI's session cookie. */
    authVia?: 'token' | 'session';
  };
}
