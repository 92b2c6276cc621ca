// The hono environment every route module shares.
import type { HostServices } from '../host-services.ts';
import type { CredentialLimit } from './credential-limit.ts';

export interface AppEnv {
  Variables: {
    host: HostServices;
    /** Counts wrong admin credentials per source address (429 past the limit); one per app. */
    credentialLimit: CredentialLimit;
    /** How the caller authenticated: a bearer token or the UI's session cookie. */
    authVia?: 'token' | 'session';
  };
}
