// The change feed by polling: each table read by `sys_updated_on` and `sys_id` from an opaque cursor, each version once.
import { z } from 'zod';
import { TandemError } from '../../errors.ts';
import type { ReadOptions, ServiceNowClient, ServiceNowRecord } from './client.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';
import { formatServiceNowTime, parseServiceNowTime } from './time.ts';

/** One version of a record, as the poll read it (`record` has the fields the caller asked for). */
export interface FeedChange {
  table: string;
  sysId: string;
  modCount: number;
  /** `sys_updated_on` as ISO 8601 (to the second). */
  updatedOn: string;
  record: ServiceNowRecord;
}

export interface PollResult {
  /** Oldest first per table, tables in the order asked. */
  changes: FeedChange[];
  /** Store it with the events made from `changes` (same transaction); pass it to the next poll. */
  cursor: string;
  /** True when the poll stopped at `limit`: poll again at once. */
  more: boolean;
  /** Rows read, re-read overlap included (changes.length <= read). */
  read: number;
}

export interface ChangeFeedOptions {
  client: ServiceNowClient;
  /** How far before the last change seen each poll starts again (late commits, one-second stamps). */
  overlapMs: number;
  /** Rows per request (at most 1,000). */
  pageSize?: number;
  /** What to read of a table's records (mapped fields, display values); the feed adds its own three. */
  readOptions?: (table: string) => ReadOptions;
}

/** Per table: the newest `sys_updated_on` read, and the versions read within the overlap before it. */
const tableCursorSchema = z.object({
  t: z.string().refine((t) => parseServiceNowTime(t) !== null),
  /** [sys_id, sys_mod_count, seconds before t] */
  seen: z.array(z.tuple([z.string(), z.number().int().min(0), z.number().int().min(0)])),
});
type TableCursor = z.infer<typeof tableCursorSchema>;
const cursorSchema = z.object({ v: z.literal(1), tables: z.record(z.string(), tableCursorSchema) });

const rowSchema = z.object({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/),
  sys_mod_count: z.string().regex(/^\d+$/),
  sys_updated_on: z.string().refine((t) => parseServiceNowTime(t) !== null),
});

const FEED_FIELDS = ['sys_id', 'sys_mod_count', 'sys_updated_on'];

export function encodeCursor(tables: Record<string, TableCursor>): string {
  return Buffer.from(JSON.stringify({ v: 1, tables }), 'utf8').toString('base64url');
}

/** The cursor's tables; an empty or absent cursor has none (every table is read from its first record). */
export function decodeCursor(cursor: string | null | undefined): Record<string, TableCursor> {
  if (!cursor) return {};
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data.tables;
  } catch {}
  throw new TandemError(
    'TRACKER_CURSOR_INVALID',
    400,
    'The ServiceNow change cursor is not one this connector made',
  );
}

/** A cursor that reads the given tables from `atMs` on (the first poll re-reads one overlap before it, as every poll does). */
export function startCursor(tables: readonly string[], atMs: number): string {
  const t = formatServiceNowTime(atMs);
  return encodeCursor(Object.fromEntries(tables.map((table) => [table, { t, seen: [] }])));
}

/** A bounded set of (sys_id, sys_mod_count) pairs this connector wrote, to tell its own changes from others'. */
export interface RecentWrites {
  add(sysId: string, modCount: number): void;
  has(sysId: string, modCount: number): boolean;
  readonly size: number;
}

/** Keeps the newest `max` writes (default 10,000), dropping the oldest first. */
export function createRecentWrites(max = 10_000): RecentWrites {
  const set = new Set<string>();
  return {
    add(sysId, modCount) {
      const key = `${sysId}:${modCount}`;
      set.delete(key);
      set.add(key);
      if (set.size > max) set.delete(set.values().next().value!);
    },
    has: (sysId, modCount) => set.has(`${sysId}:${modCount}`),
    get size() {
      return set.size;
    },
  };
}

/** Whether a change is one this connector made (the write's answer gave that record and mod count). */
export function isOwnWrite(change: Pick<FeedChange, 'sysId' | 'modCount'>, recent: RecentWrites): boolean {
  return recent.has(change.sysId, change.modCount);
}

/**
 * @example const feed = createChangeFeed({ client, overlapMs: 10_000 });
 * const { changes, cursor } = await feed.poll(stored, ['incident', 'problem']);
 */
export function createChangeFeed(o: ChangeFeedOptions) {
  const pageSize = Math.min(o.pageSize ?? 1000, 1000);

  function readOptions(table: string): ReadOptions {
    const ro = o.readOptions?.(table) ?? {};
    return ro.fields?.length ? { ...ro, fields: [...new Set([...FEED_FIELDS, ...ro.fields])] } : ro;
  }

  async function pollTable(
    table: string,
    at: TableCursor | undefined,
    budget: number,
    startMs: number | undefined,
  ): Promise<{ changes: FeedChange[]; next: TableCursor | undefined; more: boolean; read: number }> {
    // A table the cursor has no position for starts at `startMs` when given (else at its first record).
    const from = at ?? (startMs === undefined ? undefined : { t: formatServiceNowTime(startMs), seen: [] });
    const lastMs = from ? parseServiceNowTime(from.t)! : null;
    // Versions known with their stamp (ms): those of the cursor, then those read now.
    const known = new Map<string, number>();
    for (const [id, mc, before] of from?.seen ?? []) known.set(`${id}:${mc}`, lastMs! - before * 1000);
    const changes: FeedChange[] = [];
    let newest = lastMs;
    let after: { u: string; id: string } | null = null;
    let read = 0;
    let more = false;
    pages: for (;;) {
      let q = encodedQuery();
      if (after) {
        // Keyset paging: rows after (u, id) in (sys_updated_on, sys_id) order; stable while records change.
        q = q
          .where('sys_updated_on', '>=', after.u)
          .where('sys_updated_on', '>', after.u)
          .orWhere('sys_id', '>', after.id);
      } else if (lastMs !== null) {
        q = q.where('sys_updated_on', '>=', formatServiceNowTime(lastMs - o.overlapMs));
      }
      q = q.orderBy('sys_updated_on').orderBy('sys_id');
      const page = await o.client.list(table, { ...readOptions(table), query: q, limit: pageSize, pageSize });
      for (const record of page.records) {
        const row = rowSchema.safeParse({
          sys_id: storedValue(record.sys_id),
          sys_mod_count: storedValue(record.sys_mod_count),
          sys_updated_on: storedValue(record.sys_updated_on),
        });
        if (!row.success) {
          throw new ServiceNowError(
            'SERVICENOW_BAD_RESPONSE',
            `ServiceNow sent a ${table} row without its stamps`,
            {
              table,
              operation: 'read',
            },
          );
        }
        read++;
        const { sys_id: sysId, sys_updated_on: u } = row.data;
        const modCount = Number(row.data.sys_mod_count);
        const ms = parseServiceNowTime(u)!;
        const key = `${sysId}:${modCount}`;
        // At the limit: stop before the next new version (the next poll re-reads from its stamp on).
        if (!known.has(key) && changes.length >= budget) {
          more = true;
          break pages;
        }
        newest = Math.max(newest ?? ms, ms);
        after = { u, id: sysId };
        if (known.has(key)) continue;
        known.set(key, ms);
        changes.push({ table, sysId, modCount, updatedOn: new Date(ms).toISOString(), record });
      }
      if (page.records.length < pageSize) break;
    }
    if (newest === null) return { changes, next: from, more, read };
    const horizon = newest - o.overlapMs;
    const seen: TableCursor['seen'] = [];
    for (const [key, ms] of known) {
      if (ms < horizon) continue;
      const [id, mc] = key.split(':') as [string, string];
      seen.push([id, Number(mc), Math.round((newest - ms) / 1000)]);
    }
    return { changes, next: { t: formatServiceNowTime(newest), seen }, more, read };
  }

  return {
    /**
     * A cursor at the end of the feed now: per table, the newest stamp and the versions within the overlap
     * before it (read newest first, up to one page), so the next poll gives only what changes after this.
     */
    async head(tables: readonly string[]): Promise<string> {
      const state: Record<string, TableCursor> = {};
      await Promise.all(
        [...new Set(tables)].map(async (table) => {
          const q = encodedQuery().orderBy('sys_updated_on', 'desc').orderBy('sys_id', 'desc');
          const page = await o.client.list(table, {
            fields: FEED_FIELDS,
            query: q,
            limit: pageSize,
            pageSize,
          });
          let newest: number | null = null;
          const seen: TableCursor['seen'] = [];
          for (const record of page.records) {
            const row = rowSchema.safeParse({
              sys_id: storedValue(record.sys_id),
              sys_mod_count: storedValue(record.sys_mod_count),
              sys_updated_on: storedValue(record.sys_updated_on),
            });
            if (!row.success) continue;
            const ms = parseServiceNowTime(row.data.sys_updated_on)!;
            newest ??= ms;
            if (ms < newest - o.overlapMs) break;
            seen.push([row.data.sys_id, Number(row.data.sys_mod_count), Math.round((newest - ms) / 1000)]);
          }
          // An empty table has no entry: it is read from its first record.
          if (newest !== null) state[table] = { t: formatServiceNowTime(newest), seen };
        }),
      );
      return encodeCursor(state);
    },
    /**
     * Reads the changes of `tables` since `cursor` (only those tables; others in the cursor are kept as they
     * are, or left out with `dropOthers`). A table the cursor has no position for starts at `starts` (ms) when
     * given, else at its first record. A failure throws and leaves the caller's cursor as it was: nothing read
     * by this poll is lost.
     */
    async poll(
      cursor: string | null,
      tables: readonly string[],
      opts: { limit?: number; starts?: ReadonlyMap<string, number>; dropOthers?: boolean } = {},
    ): Promise<PollResult> {
      const decoded = decodeCursor(cursor);
      const state = opts.dropOthers
        ? Object.fromEntries(Object.entries(decoded).filter(([table]) => tables.includes(table)))
        : decoded;
      const limit = opts.limit ?? Number.POSITIVE_INFINITY;
      const out: PollResult = { changes: [], cursor: '', more: false, read: 0 };
      for (const table of [...new Set(tables)]) {
        if (out.changes.length >= limit) {
          out.more = true;
          break;
        }
        const r = await pollTable(table, state[table], limit - out.changes.length, opts.starts?.get(table));
        out.changes.push(...r.changes);
        out.read += r.read;
        out.more ||= r.more;
        if (r.next) state[table] = r.next;
      }
      out.cursor = encodeCursor(state);
      return out;
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;
