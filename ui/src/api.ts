// The admin API client: `client` is hono's hc typed by the routes themselves (core/http/app.ts `AdminApi`); the
// path helpers below share its fetch (session cookie, problem+json turned into ApiError). Every type here is
// inferred from the routes or their zod schemas through type-only imports: no server code in the bundle.
import { type ClientResponse, hc, type InferResponseType } from 'hono/client';
import type { StatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { AdminApi } from '../../core/http/app.ts';
import type { commentSchema, entitySchema } from '../../core/http/routes/entities.ts';
import type { wellKnownSchema } from '../../core/http/routes/public.ts';
import type {
  mappingSchema,
  ruleSetSchema,
  rulesViewSchema,
  testRunResultSchema,
  visualScopeSchema,
} from '../../core/rules/rule-routes.ts';
import type { runSchema, syncErrorSchema, triggerSchema, twinSchema } from '../../core/sync/routes.ts';
import { ENTITY_TYPES, type EntityType } from '../../core/trackers/tracker.ts';

export { ENTITY_TYPES, type EntityType };

/** A failed API call: HTTP status, the stable problem `code`, and the whole problem body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;

  constructor(status: number, code: string, message: string, body: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** Field issues of a 422 `validation_failed` (`[{path, message}]`). */
  get issues(): { path: string; message: string }[] {
    const e = this.body.errors;
    return Array.isArray(e) ? (e as { path: string; message: string }[]) : [];
  }
}

/** Fired when the API answers 401 so the shell can show the sign-in page. */
export const UNAUTHORIZED_EVENT = 'tandem:unauthorized';

/** The fetch under every call: same-origin with the cookie; a network failure or a problem answer throws ApiError. */
async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(input, { ...init, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', 'The host cannot be reached. Is it running?', {});
  }
  if (res.ok) return res;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await res.text());
  } catch {
    parsed = undefined;
  }
  const p = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const path = new URL(res.url || String(input), window.location.href).pathname;
  if (res.status === 401 && !path.startsWith('/api/session')) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
  }
  const message = String(p.detail ?? p.title ?? `${res.status} ${res.statusText}`);
  throw new ApiError(res.status, String(p.code ?? `http_${res.status}`), message, p);
}

/**
 * The admin API, typed by its routes: paths, params, bodies and answers are checked by tsc.
 * @example const node = await json(client.node.$get());
 */
export const client = hc<AdminApi>('/api', { fetch: apiFetch });

/** The JSON of a successful typed call (`undefined` for 204). */
export async function json<T>(call: Promise<ClientResponse<T>>): Promise<T> {
  const res = await call;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await apiFetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    return undefined as T;
  }
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** Builds a query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

type Client = typeof client;
/** What a typed call answers with a status, e.g. `Answer<Client['node']['$get']>`. */
type Answer<F extends (...args: never[]) => unknown, S extends StatusCode = 200> = InferResponseType<F, S>;

export type NodeInfo = Answer<Client['node']['$get']>;
export type WellKnown = z.output<typeof wellKnownSchema>;
export type Probe = Answer<Client['probe']['$get']>;
export type Comment = z.output<typeof commentSchema>;
export type Entity = z.output<typeof entitySchema>;
export type Twin = z.output<typeof twinSchema>;

/** Every list of the API (`{items, nextCursor?}`). */
export type List<T> = { items: T[]; nextCursor?: string | undefined };

export type Connection = Answer<Client['connections'][':id']['$get']>;
export type Created = Answer<Client['connections']['$post'], 201>;
export type Mode = Connection['mode'];
export type ConnectionState = Connection['state'];
export type LinkStatus = Connection['outbound'];
export type Health = Answer<Client['connections'][':id']['health']['$get']>;
export type HealthCheck = Health['checks'][number];

export type Mapping = z.output<typeof mappingSchema>;
export type Scalar = Exclude<Mapping['default'], undefined>;
export type VisualScope = z.output<typeof visualScopeSchema>;
export type RuleSet = z.output<typeof ruleSetSchema>;
export type ScriptRules = Required<Pick<RuleSet, 'outgoing' | 'incoming'>>;
export type VisualRules = Required<Pick<RuleSet, 'mappings' | 'scope'>>;
export type RulesView = z.output<typeof rulesViewSchema>;
export type TestRunResult = z.output<typeof testRunResultSchema>;

export type Trigger = z.output<typeof triggerSchema>;
export type SyncError = z.output<typeof syncErrorSchema>;
export type Run = z.output<typeof runSchema>;
