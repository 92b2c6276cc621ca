// The UI session: trades the admin token, or an email and password, for an HttpOnly cookie (neither stays in the page).
import type { z } from 'zod';
import type { sessionStateSchema } from '../../core/http/routes/session.ts';
import { client, jsonAs, setCsrfToken } from './api.ts';

/** What `GET /api/session` answers: who is signed in, with which role. */
export type SessionState = z.output<typeof sessionStateSchema>;
const asState = jsonAs<SessionState>();

async function check(): Promise<SessionState> {
  const state = await asState(client.session.$get());
  setCsrfToken(state.csrfToken);
  return state;
}

export const session = {
  check,
  async signIn(token: string): Promise<SessionState> {
    const state = await asState(client.session.$post({ json: { token } }));
    setCsrfToken(state.csrfToken);
    return state;
  },
  async signInWithPassword(email: string, password: string): Promise<SessionState> {
    const state = await asState(client.session.$post({ json: { email, password } }));
    setCsrfToken(state.csrfToken);
    return state;
  },
  async signOut(): Promise<void> {
    setCsrfToken(undefined);
    await client.session.$delete();
  },
};
