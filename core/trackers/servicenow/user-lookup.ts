// `helpers.users.byEmail` on ServiceNow: a sys_user record, by email or user name, as an entity of type `user`.
import type { Entity } from '../tracker.ts';
import type { ServiceNowClient, ServiceNowRecord } from './client.ts';
import { encodedQuery } from './encoded-query.ts';

const USER_FIELDS = [
  'sys_id',
  'user_name',
  'name',
  'email',
  'sys_mod_count',
  'sys_created_on',
  'sys_updated_on',
];

/**
 * @example const users = userLookup(client, 'sys_user'); const ann = await users.byEmail('ann@example.com');
 */
export function userLookup(client: ServiceNowClient, table: string) {
  return {
    async byEmail(email: string): Promise<Entity | undefined> {
      const e = email.trim();
      if (e === '' || /[\r\n,^]/.test(e)) return undefined;
      const [row] = (
        await client.list(table, {
          query: encodedQuery().where('email', '=', e).orWhere('user_name', '=', e),
          fields: USER_FIELDS,
          limit: 1,
        })
      ).records;
      return row ? userEntity(row) : undefined;
    },
  };
}

function userEntity(row: ServiceNowRecord): Entity {
  const v = (k: string) => {
    const x = row[k];
    return x === null || x === undefined ? '' : typeof x === 'object' ? (x.value ?? '') : String(x);
  };
  const at = (k: string) => new Date(`${v(k).replace(' ', 'T')}Z`).toISOString();
  return {
    id: v('sys_id'),
    key: v('user_name') || v('sys_id'),
    type: 'user',
    fields: {
      summary: v('name') || v('user_name'),
      description: '',
      status: '',
      priority: 3,
      assignee: null,
      email: v('email'),
      user_name: v('user_name'),
    },
    comments: [],
    version: Number(v('sys_mod_count')) || 0,
    createdAt: at('sys_created_on'),
    updatedAt: at('sys_updated_on'),
  };
}
