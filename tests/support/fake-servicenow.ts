// A fake ServiceNow instance for tests: real HTTP on 127.0.0.1 (Table, Batch, OAuth), faults, a request log.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BinaryResponse,
  createFakeAttachments,
  type FakeAttachment,
  isAttachmentPath,
  type RawRequest,
} from './fake-servicenow-attachments.ts';
import {
  type AclOperation,
  createFakeAuth,
  type FakeOAuthClient,
  type FakeUser,
} from './fake-servicenow-auth.ts';
import { createFaults, type Fault, type FaultHit } from './fake-servicenow-faults.ts';
import { matches, parseEncodedQuery } from './fake-servicenow-query.ts';
import { createFakeStore, type Row } from './fake-servicenow-store.ts';
import {
  type FakeRequest,
  type FakeResponse,
  json,
  snError,
  type TableContext,
  tableApi,
} from './fake-servicenow-table.ts';

export type { Fault, Row };

export interface FakeServiceNowOptions {
  /** The instance's clock (ms since epoch); `setNow`/`advance` move it. Default: the real clock. */
  now?: () => number;
  /** Most rows one Table API page returns, whatever `sysparm_limit` asks (ServiceNow's default 10,000). */
  pageCap?: number;
  accessTokenSeconds?: number;
  refreshTokenSeconds?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** `GET /api/now/table/incident/{sys_id}`: the method and path with record ids folded. */
  route: string;
  /** The query string (decoded), e.g. `sysparm_query=...^ORDERBYsys_updated_on` for a feed poll. */
  query: string;
  status: number;
  at: number;
  /** `batch` for an item inside a Batch API call (the batch itself is one `http` request). */
  via: 'http' | 'batch';
}

export interface NewUser {
  userName: string;
  password: string;
  roles?: string[];
  email?: string;
  name?: string;
}

/**
 * A running fake instance and its test-side controls.
 * @example const sn = await startFakeServiceNow(); sn.addUser({ userName: 'int', password: 'pw', roles: ['itil'] });
 */
export interface FakeServiceNow {
  url: string;
  close(): Promise<void>;
  now(): number;
  setNow(ms: number): void;
  advance(ms: number): void;
  /** Adds a login and its sys_user record; returns the record. */
  addUser(u: NewUser): Row;
  addOAuthClient(c: FakeOAuthClient): void;
  setAcl(table: string, op: AclOperation, roles: string[]): void;
  expireAccessTokens(): void;
  /** Inserts as an instance user would (stamps, number, journal entries); `as` is the author (default `admin`). */
  seed(table: string, fields: Record<string, unknown>, as?: string): Row;
  update(table: string, sysId: string, fields: Record<string, unknown>, as?: string): Row;
  remove(table: string, sysId: string): boolean;
  record(table: string, sysId: string): Row | undefined;
  /** Stored rows, filtered by an encoded query if given. */
  records(table: string, query?: string): Row[];
  /** sys_journal_field rows of a record, oldest first. */
  journal(sysId: string): Row[];
  inject(f: Fault): void;
  clearFaults(): void;
  requests(): LoggedRequest[];
  /** Requests that reached the instance over HTTP (batch items not counted apart), optionally by route prefix. */
  calls(routePrefix?: string): number;
  callsByRoute(): Record<string, number>;
  clearRequests(): void;
  /** Encoded-query parts and fields the fake ignored (ServiceNow ignores invalid parts silently). */
  invalidQueryParts(): string[];
  /** sys_attachment rows with their bytes. */
  attachments(): FakeAttachment[];
  /** com.glide.attachment.max_size (bytes; 1 GB by default). */
  setMaxAttachmentBytes(n: number): void;
}

const SYS_ID_IN_PATH = /\/[0-9a-f]{32}(?=\/|$)/g;

function routeOf(method: string, url: string): { path: string; route: string; query: string } {
  const [path = url, query = ''] = url.split('?');
  return {
    path,
    route: `${method} ${path.replace(SYS_ID_IN_PATH, '/{sys_id}')}`,
    query: decodeURIComponent(query.replaceAll('+', ' ')),
  };
}

function rateLimited(f: Extract<FaultHit, { kind: 'rateLimit' }>, nowMs: number): FakeResponse {
  const seconds =
    f.untilMs !== undefined ? Math.max(1, Math.ceil((f.untilMs - nowMs) / 1000)) : (f.retryAfterSeconds ?? 1);
  const limit = f.limit ?? 1000;
  return json(
    429,
    {
      error: {
        message: 'Rate limit exceeded',
        detail: `Rate limit of ${limit} requests per hour for Table API exceeded`,
      },
      status: 'failure',
    },
    {
      'retry-after': String(seconds),
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(nowMs / 1000) + seconds),
      'x-ratelimit-rule': '0f1d2c3b4a5968778695a4b3c2d1e0f9',
    },
  );
}

function faultAnswer(hit: FaultHit, nowMs: number): FakeResponse | 'drop' {
  if (hit.kind === 'drop' || hit.kind === 'dropAfter') return 'drop';
  if (hit.kind === 'rateLimit') return rateLimited(hit, nowMs);
  if (hit.kind === 'raw') {
    return {
      status: hit.status ?? 200,
      headers: { 'content-type': hit.contentType ?? 'application/json' },
      body: hit.body,
    };
  }
  const body = hit.body ?? `<html><body><h1>${hit.status} Service Unavailable</h1></body></html>`;
  return { status: hit.status, headers: { 'content-type': 'text/html' }, body };
}

export async function startFakeServiceNow(opts: FakeServiceNowOptions = {}): Promise<FakeServiceNow> {
  const base = opts.now ?? Date.now;
  let manual: number | null = null;
  let offset = 0;
  const now = () => manual ?? base() + offset;
  const store = createFakeStore(now);
  const auth = createFakeAuth(now, opts);
  const faults = createFaults(now);
  const log: LoggedRequest[] = [];
  const invalid: string[] = [];
  let baseUrl = '';
  const files = createFakeAttachments(store, now, () => baseUrl);
  const ctx = (): TableContext => ({
    store,
    auth,
    baseUrl,
    pageCap: opts.pageCap ?? 10_000,
    onInvalidQuery: (p) => invalid.push(p),
  });

  function dispatch(req: FakeRequest, user: FakeUser, inBatch: boolean): FakeResponse {
    const path = req.url.split('?')[0] ?? '';
    const m = /^\/api\/now(?:\/v\d+)?\/table\/([A-Za-z0-9_]+)(?:\/([^/]+))?\/?$/.exec(path);
    if (m) return tableApi(ctx(), user, req, m[1]!, m[2]);
    if (!inBatch && req.method === 'POST' && /^\/api\/now(?:\/v\d+)?\/batch\/?$/.test(path))
      return batch(req, user);
    return snError(400, 'Requested URI does not represent any resource');
  }

  function batch(req: FakeRequest, user: FakeUser): FakeResponse {
    let parsed: { batch_request_id?: unknown; rest_requests?: unknown };
    try {
      parsed = JSON.parse(req.body) as typeof parsed;
    } catch {
      return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
    }
    if (!Array.isArray(parsed.rest_requests)) return snError(400, 'rest_requests is required');
    const serviced = [];
    for (const item of parsed.rest_requests as Record<string, unknown>[]) {
      const headers: Record<string, string> = {};
      for (const h of (item.headers as { name: string; value: string }[] | undefined) ?? []) {
        headers[h.name.toLowerCase()] = h.value;
      }
      const inner: FakeRequest = {
        method: String(item.method ?? 'GET').toUpperCase(),
        url: String(item.url ?? ''),
        headers,
        body: typeof item.body === 'string' ? Buffer.from(item.body, 'base64').toString('utf8') : '',
      };
      const res = dispatch(inner, user, true);
      log.push({
        method: inner.method,
        ...routeOf(inner.method, inner.url),
        status: res.status,
        at: now(),
        via: 'batch',
      });
      serviced.push({
        id: String(item.id ?? ''),
        status_code: res.status,
        status_text: http.STATUS_CODES[res.status] ?? '',
        headers: item.exclude_response_headers
          ? []
          : Object.entries(res.headers).map(([name, value]) => ({ name, value })),
        body: Buffer.from(res.body, 'utf8').toString('base64'),
        execution_time: 0,
      });
    }
    return json(200, {
      batch_request_id: parsed.batch_request_id ?? '',
      serviced_requests: serviced,
      unserviced_requests: [],
    });
  }

  function handle(req: FakeRequest, hit: FaultHit | null): FakeResponse | 'drop' {
    const { path } = routeOf(req.method, req.url);
    if (hit?.kind === 'dropAfter') {
      handle(req, null);
      return 'drop';
    }
    if (hit) return faultAnswer(hit, now());
    if (path === '/oauth_token.do') {
      if (
        req.method !== 'POST' ||
        !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ) {
        return json(400, { error: 'invalid_request', error_description: 'form-encoded POST expected' });
      }
      const answer = auth.grant(new URLSearchParams(req.body));
      return json(answer.status, answer.body);
    }
    const user = auth.authenticate(req.headers.authorization);
    if (!user) return snError(401, 'User Not Authenticated', 'Required to provide Auth information');
    return dispatch(req, user, false);
  }

  /** The Attachment API keeps bodies as bytes; faults and sign-in work as for the other APIs. */
  function attachment(req: RawRequest, hit: FaultHit | null): BinaryResponse | 'drop' {
    if (hit) return faultAnswer(hit, now());
    const user = auth.authenticate(req.headers.authorization);
    if (!user) return snError(401, 'User Not Authenticated', 'Required to provide Auth information');
    return files.handle(req, user.userName);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = req.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const { latencyMs, hit } = faults.take(routeOf(method, url).path, method);
      const answer = isAttachmentPath(routeOf(method, url).path)
        ? attachment({ method, url, headers, body: Buffer.concat(chunks) }, hit)
        : handle({ method, url, headers, body: Buffer.concat(chunks).toString('utf8') }, hit);
      const status = answer === 'drop' ? 0 : answer.status;
      log.push({ method, ...routeOf(method, url), status, at: now(), via: 'http' });
      const send = () => {
        if (answer === 'drop') {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      };
      if (latencyMs > 0) setTimeout(send, latencyMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    now,
    setNow: (ms) => {
      manual = ms;
    },
    advance: (ms) => {
      if (manual !== null) manual += ms;
      else offset += ms;
    },
    addUser(u) {
      auth.addUser({ userName: u.userName, password: u.password, roles: u.roles ?? [] });
      return store.insert(
        'sys_user',
        { user_name: u.userName, email: u.email ?? '', name: u.name ?? u.userName },
        'admin',
      )!;
    },
    addOAuthClient: (c) => auth.addClient(c),
    setAcl: (table, op, roles) => void auth.setAcl(table, op, roles),
    expireAccessTokens: () => auth.expireAccessTokens(),
    seed(table, fields, as = 'admin') {
      const row = store.insert(table, fields, as);
      if (!row) throw new Error(`fake ServiceNow has no table ${table}`);
      return row;
    },
    update(table, sysId, fields, as = 'admin') {
      const row = store.update(table, sysId, fields, as);
      if (!row) throw new Error(`fake ServiceNow has no ${table} ${sysId}`);
      return row;
    },
    remove: (table, sysId) => store.remove(table, sysId),
    record: (table, sysId) => store.get(table, sysId),
    records(table, query = '') {
      const q = parseEncodedQuery(query);
      return store.rows(table).filter((row) =>
        matches(
          q,
          (f) => store.read(table, row, f),
          () => {},
        ),
      );
    },
    journal: (sysId) => store.rows('sys_journal_field').filter((j) => j.element_id === sysId),
    inject: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    requests: () => [...log],
    calls: (prefix = '') => log.filter((r) => r.via === 'http' && r.route.startsWith(prefix)).length,
    callsByRoute() {
      const out: Record<string, number> = {};
      for (const r of log) if (r.via === 'http') out[r.route] = (out[r.route] ?? 0) + 1;
      return out;
    },
    clearRequests: () => {
      log.length = 0;
    },
    invalidQueryParts: () => [...invalid],
    attachments: () => files.rows(),
    setMaxAttachmentBytes: (n) => files.setMaxBytes(n),
  };
}
