// The ServiceNow connector's HTTP client: Table and Batch APIs with auth, retries, paging, counts, typed errors.
import { randomUUID } from 'node:crypto';
import { TandemError } from '../../errors.ts';
import { createAuth, type ServiceNowCredentials } from './auth.ts';
import { type BatchItem, type BatchResult, decodeBatch, encodeBatch } from './batch.ts';
import { type CallCounts, createCallCounter } from './call-counter.ts';
import type { EncodedQuery } from './encoded-query.ts';
import type { ServiceNowOperation } from './errors.ts';
import { type CallContext, checkShape, errorForStatus, parseJson } from './responses.ts';
import type { BackoffOptions } from './retry.ts';
import { listAnswerSchema, recordAnswerSchema, type ServiceNowRecord } from './schemas.ts';
import { createTransport } from './transport.ts';

export type { ServiceNowCredentials, ServiceNowRecord };

export interface ServiceNowClientOptions {
  /** Instance base URL (`https://acme.service-now.com`); no user or password in it. */
  instanceUrl: string;
  /** Null: none set yet (every call fails SERVICENOW_UNAUTHORIZED until `setCredentials`). */
  credentials: ServiceNowCredentials | null;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Rows per page when listing (at most 1,000; default 1,000). */
  pageSize?: number;
  maxAttempts?: number;
  backoff?: BackoffOptions;
  maxRateLimitWaitMs?: number;
  timeoutMs?: number;
  refreshSkewMs?: number;
}

export interface ReadOptions {
  fields?: readonly string[];
  /** `sysparm_display_value`: false (stored values, the default), true, or 'all' (both). */
  displayValue?: boolean | 'all';
  /** `sysparm_exclude_reference_link` (default true: references come as plain sys_ids). */
  excludeReferenceLink?: boolean;
}

export interface UpdateOptions extends ReadOptions {
  /**
   * The update appends to a journal (`comments`, `work_notes`): repeating it would add the entry twice, so it
   * is not retried after a failure in flight (`maybeApplied` says so), like a create.
   */
  appends?: boolean;
}

export interface ListOptions extends ReadOptions {
  query?: EncodedQuery | string;
  pageSize?: number;
  /** Most rows in all (default: every match). */
  limit?: number;
  offset?: number;
}

export interface Page {
  records: ServiceNowRecord[];
  offset: number;
  /** `X-Total-Count`, when the instance sent it. */
  total: number | null;
}

export interface ServiceNowClientStats {
  calls: CallCounts;
  rateLimitedUntil: string | null;
}

export const MAX_PAGE_SIZE = 1000;
const TABLE = /^[a-z0-9_]+$/;
const SYS_ID = /^[0-9a-f]{32}$/;

/** Checks and normalises the instance URL (https or http, no credentials, no trailing slash). */
export function instanceBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TandemError('TRACKER_CONFIG_INVALID', 500, 'TANDEM_SERVICENOW_URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TandemError('TRACKER_CONFIG_INVALID', 500, 'TANDEM_SERVICENOW_URL must be an https:// URL');
  }
  if (url.username || url.password) {
    throw new TandemError(
      'TRACKER_CONFIG_INVALID',
      500,
      'TANDEM_SERVICENOW_URL must not carry a user or password',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function checkName(kind: 'table' | 'sys_id', value: string): string {
  if (!(kind === 'table' ? TABLE : SYS_ID).test(value)) {
    throw new TandemError('SERVICENOW_QUERY_INVALID', 500, `Not a ServiceNow ${kind}: ${value.slice(0, 40)}`);
  }
  return value;
}

/** The `sysparm_*` parameters of a read (or of a write's answer). */
export function readParams(o: ReadOptions): Record<string, string> {
  const p: Record<string, string> = {
    sysparm_display_value: String(o.displayValue ?? false),
    sysparm_exclude_reference_link: String(o.excludeReferenceLink ?? true),
  };
  if (o.fields?.length) p.sysparm_fields = o.fields.join(',');
  return p;
}

/** The instance-relative Table API path of a table, or of one of its records. */
export const tablePath = (table: string, sysId?: string) =>
  `/api/now/table/${checkName('table', table)}${sysId ? `/${checkName('sys_id', sysId)}` : ''}`;

/** The `rel="next"` target of a Link header, if any. */
function nextLink(header: string | null): string | null {
  for (const part of header?.split(',') ?? []) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1]!;
  }
  return null;
}

/**
 * @example const sn = createServiceNowClient({ instanceUrl, credentials: { kind: 'basic', user, password } });
 * for await (const page of sn.pages('incident', { query: encodedQuery().orderBy('sys_id') })) ...
 */
export function createServiceNowClient(o: ServiceNowClientOptions) {
  const base = instanceBaseUrl(o.instanceUrl);
  const now = o.now ?? Date.now;
  const counter = createCallCounter(now);
  const transport = createTransport({
    fetch: o.fetch ?? fetch,
    now,
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    random: o.random ?? Math.random,
    onCall: counter.record,
    maxAttempts: o.maxAttempts ?? 5,
    backoff: o.backoff ?? { baseMs: 250, capMs: 10_000 },
    maxRateLimitWaitMs: o.maxRateLimitWaitMs ?? 15 * 60_000,
    timeoutMs: o.timeoutMs ?? 30_000,
  });
  const authDeps = {
    tokenUrl: `${base}/oauth_token.do`,
    now,
    send: transport.send,
    refreshSkewMs: o.refreshSkewMs ?? 60_000,
  };
  // Swapped whole when new credentials come (a call in flight finishes with the one it started with).
  let auth = createAuth(o.credentials, authDeps);
  let hasCredentials = o.credentials !== null;
  const pageSize = Math.min(o.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);

  interface Call {
    method: string;
    path: string;
    params?: Record<string, string>;
    body?: unknown;
    table?: string;
    sysId?: string;
    operation: ServiceNowOperation;
    idempotent: boolean;
  }

  /** One API call: a fresh token and one more try after a 401 on OAuth; the typed error otherwise. */
  async function call(c: Call): Promise<{ json: unknown; headers: Headers; ctx: CallContext }> {
    const url = new URL(`${base}${c.path}`);
    for (const [k, v] of Object.entries(c.params ?? {})) url.searchParams.set(k, v);
    const signer = auth;
    const ctx: CallContext = { table: c.table, sysId: c.sysId, operation: c.operation, oauth: signer.oauth };
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {
        accept: 'application/json',
        authorization: await signer.header(),
      };
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      const res = await transport.send(url.toString(), { method: c.method, headers, body }, c);
      const text = await res.text();
      if (res.status === 401 && signer.oauth && attempt === 0) {
        signer.invalidate();
        continue;
      }
      if (!res.ok) throw errorForStatus(res.status, text, ctx);
      return {
        json: res.status === 204 || text === '' ? null : parseJson(text, ctx),
        headers: res.headers,
        ctx,
      };
    }
  }

  /**
   * A call whose body or answer is not JSON (the Attachment API's files): the answer as it is, its body
   * unread. A streamed body is sent once (no retry, no second try after a 401).
   */
  async function raw(
    c: Omit<Call, 'body'> & { body?: BodyInit | AsyncIterable<Uint8Array>; contentType?: string },
  ) {
    const url = new URL(`${base}${c.path}`);
    for (const [k, v] of Object.entries(c.params ?? {})) url.searchParams.set(k, v);
    const ctx: CallContext = { table: c.table, sysId: c.sysId, operation: c.operation, oauth: auth.oauth };
    const streamed =
      c.body !== undefined &&
      typeof (c.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: '*/*', authorization: await auth.header() };
      if (c.contentType) headers['content-type'] = c.contentType;
      const init: RequestInit & { duplex?: 'half' } = { method: c.method, headers };
      if (c.body !== undefined) init.body = c.body as BodyInit;
      if (streamed) init.duplex = 'half';
      const res = await transport.send(url.toString(), init, { ...c, idempotent: c.idempotent && !streamed });
      if (res.status === 401 && auth.oauth && attempt === 0 && !streamed) {
        await res.body?.cancel();
        auth.invalidate();
        continue;
      }
      if (!res.ok) throw errorForStatus(res.status, await res.text(), ctx);
      return res;
    }
  }

  async function fetchPage(table: string, lo: ListOptions, offset: number, limit: number) {
    const params = { ...readParams(lo), sysparm_limit: String(limit), sysparm_offset: String(offset) };
    if (lo.query !== undefined && String(lo.query) !== '')
      Object.assign(params, { sysparm_query: String(lo.query) });
    const r = await call({
      method: 'GET',
      path: tablePath(table),
      params,
      table,
      operation: 'read',
      idempotent: true,
    });
    const records = checkShape(listAnswerSchema, r.json, r.ctx).result;
    const count = r.headers.get('x-total-count');
    const total = count !== null && /^\d+$/.test(count) ? Number(count) : null;
    const page: Page = { records, offset, total };
    return { page, next: nextLink(r.headers.get('link')) };
  }

  /** Every page of a query, following `Link: rel="next"` (or the offset while pages come back full). */
  async function* pages(table: string, lo: ListOptions = {}): AsyncGenerator<Page> {
    const size = Math.min(lo.pageSize ?? pageSize, MAX_PAGE_SIZE);
    let offset = lo.offset ?? 0;
    let left = lo.limit ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const { page, next } = await fetchPage(table, lo, offset, Math.min(left, size));
      yield page;
      left -= page.records.length;
      const linked = next ? Number(new URL(next, base).searchParams.get('sysparm_offset')) : Number.NaN;
      const following = Number.isInteger(linked) ? linked : offset + page.records.length;
      const more = next
        ? following > offset
        : page.records.length === size && (page.total ?? Infinity) > following;
      if (!more || page.records.length === 0) return;
      offset = following;
    }
  }

  return {
    instanceUrl: base,
    /** Whether credentials are set (they may still be wrong: the health checks tell). */
    hasCredentials: () => hasCredentials,
    /** New credentials for the calls from now on (null: none); tokens of the old ones are dropped. */
    setCredentials(credentials: ServiceNowCredentials | null): void {
      auth = createAuth(credentials, authDeps);
      hasCredentials = credentials !== null;
    },
    raw,
    /** One page (`limit` or the page size rows from `offset`). */
    list: async (table: string, lo: ListOptions = {}): Promise<Page> =>
      (
        await fetchPage(
          table,
          lo,
          lo.offset ?? 0,
          Math.min(lo.limit ?? pageSize, lo.pageSize ?? pageSize, MAX_PAGE_SIZE),
        )
      ).page,
    pages,
    async listAll(table: string, lo: ListOptions = {}): Promise<ServiceNowRecord[]> {
      const out: ServiceNowRecord[] = [];
      for await (const page of pages(table, lo)) out.push(...page.records);
      return out;
    },
    /** The record, or null when it does not exist (a deleted twin is an outcome, not a failure). */
    async get(table: string, sysId: string, ro: ReadOptions = {}): Promise<ServiceNowRecord | null> {
      try {
        const r = await call({
          method: 'GET',
          path: tablePath(table, sysId),
          params: readParams(ro),
          table,
          sysId,
          operation: 'read',
          idempotent: true,
        });
        return checkShape(recordAnswerSchema, r.json, r.ctx).result;
      } catch (err) {
        if (err instanceof TandemError && err.code === 'SERVICENOW_NOT_FOUND' && err.message.includes(sysId))
          return null;
        throw err;
      }
    },
    /** Inserts; not repeated after a failure in flight (`maybeApplied` says so): look for the correlation id first. */
    async create(
      table: string,
      fields: Record<string, unknown>,
      ro: ReadOptions = {},
    ): Promise<ServiceNowRecord> {
      const r = await call({
        method: 'POST',
        path: tablePath(table),
        params: readParams(ro),
        body: fields,
        table,
        operation: 'create',
        idempotent: false,
      });
      return checkShape(recordAnswerSchema, r.json, r.ctx).result;
    },
    async update(
      table: string,
      sysId: string,
      fields: Record<string, unknown>,
      ro: UpdateOptions = {},
    ): Promise<ServiceNowRecord> {
      const r = await call({
        method: 'PATCH',
        path: tablePath(table, sysId),
        params: readParams(ro),
        body: fields,
        table,
        sysId,
        operation: 'write',
        idempotent: !ro.appends,
      });
      return checkShape(recordAnswerSchema, r.json, r.ctx).result;
    },
    async remove(table: string, sysId: string): Promise<void> {
      await call({
        method: 'DELETE',
        path: tablePath(table, sysId),
        table,
        sysId,
        operation: 'delete',
        idempotent: true,
      });
    },
    /**
     * Several calls in one request; an item's failure is in its status, for the caller to read. The request is
     * tried again after a failure in flight only when `idempotent` (default: no item is a POST).
     */
    async batch(items: readonly BatchItem[], opts: { idempotent?: boolean } = {}): Promise<BatchResult> {
      const body = JSON.parse(encodeBatch(randomUUID(), items)) as unknown;
      const idempotent = opts.idempotent ?? items.every((i) => i.method !== 'POST');
      const r = await call({
        method: 'POST',
        path: '/api/now/v1/batch',
        body,
        operation: 'batch',
        idempotent,
      });
      return decodeBatch(r.json, r.ctx);
    },
    stats: (): ServiceNowClientStats => ({
      calls: counter.counts(),
      rateLimitedUntil: transport.rateLimitedUntil(),
    }),
  };
}

export type ServiceNowClient = ReturnType<typeof createServiceNowClient>;
