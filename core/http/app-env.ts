// The hono environment every route module shares.
import type { HostServices } from '../host-services.ts';

export interface AppEnv {
  Variables: {
    host: HostServices;
    /** How the caller authenticated: a bearer token or the UI's session cookie. */
    authVia?: 'token' | 'session';
  };
}
