// The admin API's entity list on ServiceNow: one table after another, a page at a time, by creation order.
import type { Entity, EntityQuery, EntityType, Page } from '../tracker.ts';
import type { ServiceNowClient, ServiceNowRecord } from './client.ts';
import type { ServiceNowConfig } from './config.ts';
import { encodedQuery } from './encoded-query.ts';
import type { EntityMapper } from './mapping.ts';

interface ListCursor {
  i: number;
  o: number;
}

const encodeListCursor = (c: ListCursor) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

function decodeListCursor(cursor: string): ListCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<ListCursor>;
    if (Number.isInteger(c.i) && Number.isInteger(c.o) && c.i! >= 0 && c.o! >= 0) return c as ListCursor;
  } catch {}
  return { i: Number.MAX_SAFE_INTEGER, o: 0 };
}

/**
 * @example const list = entityList({ client, config, mapper, withComments }); await list({ type: 'incident', limit: 50 });
 */
export function entityList(deps: {
  client: ServiceNowClient;
  config: ServiceNowConfig;
  mapper: EntityMapper;
  withComments(pairs: Array<[EntityType, ServiceNowRecord]>): Promise<Entity[]>;
}) {
  const { client, config, mapper } = deps;
  const types = config.entityTypes;
  return async function list(query: EntityQuery): Promise<Page<Entity>> {
    const listed = query.type ? [query.type] : types;
    const at = query.cursor ? decodeListCursor(query.cursor) : { i: 0, o: 0 };
    const type = listed[at.i];
    if (!type || !types.includes(type)) return { items: [] };
    const f = config.fields[type];
    let q = encodedQuery();
    if (query.q) q = q.where(f.summary, 'LIKE', query.q.replace(/[\r\n]+/g, ' '));
    q = q.orderBy('sys_created_on').orderBy('sys_id');
    const page = await client.list(config.tables[type], {
      ...mapper.readOptions(type),
      query: q,
      limit: query.limit,
      offset: at.o,
    });
    const items = await deps.withComments(page.records.map((r) => [type, r]));
    const next = at.o + page.records.length;
    const full = page.records.length >= query.limit && (page.total ?? Infinity) > next;
    if (full) return { items, nextCursor: encodeListCursor({ i: at.i, o: next }) };
    if (at.i + 1 < listed.length) return { items, nextCursor: encodeListCursor({ i: at.i + 1, o: 0 }) };
    return { items };
  };
}
