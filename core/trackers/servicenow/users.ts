// Finds sys_user records by email or user name: one query for a batch of names, answers kept briefly.
import type { ServiceNowClient } from './client.ts';
import { escapeQueryValue } from './encoded-query.ts';
import { storedValue } from './schemas.ts';

export interface UserDirectoryOptions {
  now?: () => number;
  /** How long a name's sys_id is kept (default 5 minutes); names not found are asked again next time. */
  ttlMs?: number;
  /** The user table (default `sys_user`). */
  table?: string;
}

/** Names an IN list can carry (a comma cannot be escaped there). */
const usable = (name: string) => name !== '' && !name.includes(',') && !/[\r\n]/.test(name);

/**
 * @example const users = createUserDirectory(client); (await users.resolve(['ann@example.com'])).get('ann@example.com') // sys_id
 */
export function createUserDirectory(client: ServiceNowClient, o: UserDirectoryOptions = {}) {
  const now = o.now ?? Date.now;
  const ttl = o.ttlMs ?? 300_000;
  const table = o.table ?? 'sys_user';
  const cache = new Map<string, { at: number; sysId: string }>();
  const key = (name: string) => name.trim().toLowerCase();

  return {
    /** sys_id per name given (matched case-insensitively on email, then user_name); missing names left out. */
    async resolve(names: readonly string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      const wanted = new Set<string>();
      for (const name of names) {
        const hit = cache.get(key(name));
        if (hit && now() - hit.at < ttl) out.set(name, hit.sysId);
        else if (usable(name.trim())) wanted.add(name.trim());
      }
      if (wanted.size > 0) {
        const list = [...wanted].map(escapeQueryValue).join(',');
        const rows = await client.listAll(table, {
          query: `emailIN${list}^ORuser_nameIN${list}`,
          fields: ['sys_id', 'email', 'user_name'],
        });
        const byEmail = new Map<string, string>();
        const byUserName = new Map<string, string>();
        for (const r of rows) {
          byEmail.set(key(storedValue(r.email)), storedValue(r.sys_id));
          byUserName.set(key(storedValue(r.user_name)), storedValue(r.sys_id));
        }
        for (const name of wanted) {
          const sysId = byEmail.get(key(name)) ?? byUserName.get(key(name));
          if (sysId) cache.set(key(name), { at: now(), sysId });
        }
      }
      for (const name of names) {
        const hit = cache.get(key(name));
        if (hit && !out.has(name)) out.set(name, hit.sysId);
      }
      return out;
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
