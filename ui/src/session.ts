// The UI session: trades the admin token for an HttpOnly cookie (the token never stays in the page).
import { client, json } from './api.ts';

export const session = {
  async check(): Promise<boolean> {
    const r = await json(client.session.$get());
    return r.authenticated;
  },
  async signIn(token: string): Promise<void> {
    await client.session.$post({ json: { token } });
  },
  async signOut(): Promise<void> {
    await client.session.$delete();
  },
};
