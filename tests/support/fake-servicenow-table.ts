// The fake ServiceNow's Table API: GET/POST/PUT/PATCH/DELETE /api/now/table/{table}[/{sys_id}] with its sysparm_*.
import type { AclOperation, FakeAuth, FakeUser } from './fake-servicenow-auth.ts';
import { matches, parseEncodedQuery, sortRows } from './fake-servicenow-query.ts';
import type { DisplayMode, FakeStore, RenderOptions } from './fake-servicenow-store.ts';

export interface FakeRequest {
  method: string;
  /** Path and query as received (`/api/now/table/incident?sysparm_limit=1`). */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface FakeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface TableContext {
  store: FakeStore;
  auth: FakeAuth;
  baseUrl: string;
  pageCap: number;
  onInvalidQuery: (part: string) => void;
}

/** ServiceNow's error body: `{error: {message, detail}, status: "failure"}`. */
export function snError(status: number, message: string, detail: string | null = null): FakeResponse {
  return json(status, { error: { message, detail }, status: 'failure' });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json;charset=UTF-8', ...headers },
    body: JSON.stringify(body),
  };
}

const OPERATION: Record<string, AclOperation> = {
  GET: 'read',
  POST: 'create',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
};

const DENIED_DETAIL: Record<AclOperation, string> = {
  read: 'Failed API level ACL Validation',
  create: 'ACL Exception Insert Failed due to security constraints',
  write: 'ACL Exception Update Failed due to security constraints',
  delete: 'ACL Exception Delete Failed due to security constraints',
};

function renderOptions(q: URLSearchParams, baseUrl: string): RenderOptions {
  const dv = q.get('sysparm_display_value');
  const fields = q.get('sysparm_fields');
  return {
    displayValue: (dv === 'true' || dv === 'all' ? dv : 'false') as DisplayMode,
    excludeReferenceLink: q.get('sysparm_exclude_reference_link') === 'true',
    fields: fields
      ? fields
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : undefined,
    baseUrl,
  };
}

function readBody(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function pageLinks(base: string, url: URL, offset: number, limit: number, total: number): string {
  const at = (o: number) => {
    const u = new URL(url.pathname + url.search, base);
    u.searchParams.set('sysparm_offset', String(o));
    u.searchParams.set('sysparm_limit', String(limit));
    return u.toString();
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links = [`<${at(0)}>;rel="first"`];
  if (offset > 0) links.push(`<${at(Math.max(0, offset - limit))}>;rel="prev"`);
  if (offset + limit < total) links.push(`<${at(offset + limit)}>;rel="next"`);
  links.push(`<${at(last)}>;rel="last"`);
  return links.join(',');
}

function list(ctx: TableContext, table: string, url: URL): FakeResponse {
  const q = url.searchParams;
  const offset = Number(q.get('sysparm_offset') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) {
    return snError(400, `offset is ${q.get('sysparm_offset')}`, 'Negative offset is not supported');
  }
  const asked = Number(q.get('sysparm_limit') ?? ctx.pageCap);
  const limit = Math.max(1, Math.min(Number.isFinite(asked) ? Math.floor(asked) : ctx.pageCap, ctx.pageCap));
  let encoded = q.get('sysparm_query') ?? '';
  // Name-value pairs (`&active=true`) filter like `sysparm_query` conditions.
  for (const [k, v] of q) if (!k.startsWith('sysparm_')) encoded += `^${k}=${v.replaceAll('^', '^^')}`;
  const parsed = parseEncodedQuery(encoded);
  for (const part of parsed.invalid) ctx.onInvalidQuery(part);
  const read = (row: Record<string, string>, f: string) => ctx.store.read(table, row, f) ?? '';
  const hits = ctx.store.rows(table).filter((row) =>
    matches(
      parsed,
      (f) => ctx.store.read(table, row, f),
      (f) => ctx.onInvalidQuery(f),
    ),
  );
  const page = sortRows(hits, parsed.orderBy, read).slice(offset, offset + limit);
  const o = renderOptions(q, ctx.baseUrl);
  const headers: Record<string, string> = {};
  if (q.get('sysparm_no_count') !== 'true') headers['x-total-count'] = String(hits.length);
  if (q.get('sysparm_suppress_pagination_header') !== 'true') {
    headers.link = pageLinks(ctx.baseUrl, url, offset, limit, hits.length);
  }
  return json(200, { result: page.map((row) => ctx.store.render(table, row, o)) }, headers);
}

/** Answers one Table API request from an authenticated user. */
export function tableApi(ctx: TableContext, user: FakeUser, req: FakeRequest, table: string, sysId?: string) {
  const url = new URL(req.url, ctx.baseUrl);
  if (!ctx.store.hasTable(table)) return snError(404, `Invalid table ${table}`);
  const op = OPERATION[req.method];
  if (!op || (req.method === 'POST' && sysId) || (req.method !== 'GET' && req.method !== 'POST' && !sysId)) {
    return snError(405, 'Method not Supported', 'Requested method is not supported by this API');
  }
  if (!ctx.auth.allowed(user, table, op)) {
    return snError(403, op === 'read' ? 'User Not Authorized' : 'Operation Failed', DENIED_DETAIL[op]);
  }
  const o = renderOptions(url.searchParams, ctx.baseUrl);
  const display = url.searchParams.get('sysparm_input_display_value') === 'true';
  if (req.method === 'GET' && !sysId) return list(ctx, table, url);
  if (req.method === 'POST') {
    const body = readBody(req.body);
    if (!body) return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
    const row = ctx.store.insert(table, body, user.userName, display)!;
    const location = `${ctx.baseUrl}/api/now/table/${table}/${row.sys_id}`;
    return json(201, { result: ctx.store.render(table, row, o) }, { location });
  }
  const row = ctx.store.get(table, sysId!);
  if (!row)
    return snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
  if (req.method === 'GET') return json(200, { result: ctx.store.render(table, row, o) });
  if (req.method === 'DELETE') {
    ctx.store.remove(table, sysId!);
    return { status: 204, headers: {}, body: '' };
  }
  const body = readBody(req.body);
  if (!body) return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
  const updated = ctx.store.update(table, sysId!, body, user.userName, display)!;
  return json(200, { result: ctx.store.render(table, updated, o) });
}
