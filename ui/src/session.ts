// The UI session: trades the admin token for an HttpOnly cookie (the token never stays in the page).
import { api } from './api.ts';

export const session = {
  async check(): Promise<boolean> {
    const r = await api<{ authenticated: boolean }>('GET', '/api/session');
    return r.authenticated;
  },
  async signIn(token: string): Promise<void> {
    await api('POST', '/api/session', { token });
  },
  async signOut(): Promise<void> {
    await api('DELETE', '/api/session');
  },
};
