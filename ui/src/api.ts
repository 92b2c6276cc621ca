// The admin API client: `client` is hono's hc typed by the routes themselves (core/http/app.ts `AdminApi`); its
// fetch sends the session cookie and turns a network failure or a problem+json answer into ApiError. Every type
// here is inferred from the routes or their zod schemas through type-only imports: no server code in the bundle.
import { type ClientResponse, hc, type InferResponseType } from 'hono/client';
import type { StatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { AdminApi } from '../../core/http/app.ts';
import type { wellKnownSchema } from '../../core/http/routes/public.ts';
import type {
  mappingSchema,
  ruleSetSchema,
  rulesViewSchema,
  visualScopeSchema,
} from '../../core/http/routes/rules.ts';
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

/** Where the admin API is mounted (core/http/app.ts). */
const API_BASE = '/api';

/** Fired when the API answers 401 so the shell can show the sign-in page. */
export const UNAUTHORIZED_EVENT = 'tandem:unauthorized';

let csrfToken: string | undefined;

/** The session's CSRF token (from the sign-in answer), sent with every write besides the browser's Origin. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The fetch under every call: same-origin with the cookie; a network failure or a problem answer throws ApiError. */
async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let res: Response;
  const method = (init?.method ?? 'GET').toUpperCase();
  const headers = new Headers(init?.headers);
  if (csrfToken && method !== 'GET' && method !== 'HEAD') headers.set('x-csrf-token', csrfToken);
  try {
    res = await fetch(input, { ...init, headers, credentials: 'same-origin' });
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
export const client = hc<AdminApi>(API_BASE, { fetch: apiFetch, headers: { accept: 'application/json' } });

/** What a typed call answers when it succeeds: the body of each of its handler's answers. */
type Body<R> = R extends ClientResponse<infer T, infer _S, infer _F> ? T : never;

/**
 * The JSON of a successful typed call (`undefined` for 204); a failed one has already thrown in `apiFetch`.
 * @example const entity = await json(client.entities[':id'].$get({ param: { id: enc(id) } }));
 */
export async function json<R extends { text(): Promise<string> }>(call: Promise<R>): Promise<Body<R>> {
  const res = await call;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as Body<R>;
}

/**
 * The JSON of a typed call as the schema its route publishes says, for a handler whose own type is looser (the
 * rule service keeps rule sets as JSON values; `rulesViewSchema` gives their shape). tsc checks that `S` fits
 * the handler's type, so it narrows it and cannot contradict it; tests/openapi.test.ts checks every answer
 * against the published schema.
 * @example const rules = await jsonAs<RulesView>()(client.connections[':id'].rules.$get({ param }));
 */
export const jsonAs =
  <S>() =>
  <R extends { text(): Promise<string> }>(
    call: Promise<R>,
    ..._narrows: [S] extends [Body<R>] ? [] : [`the published type does not fit the handler's answer`]
  ): Promise<S> =>
    json(call) as Promise<S>;

/**
 * A path parameter as it goes into the URL: hc puts `param` values in as they are, so ids read from the
 * console's own URL (`#/entities/<id>`) are encoded here, as a path segment.
 * @example client.entities[':id'].$get({ param: { id: enc(id) } })
 */
export const enc = encodeURIComponent;

/**
 * The URL of a typed path under /api, for what the browser loads itself (a download link): `$path()` checks
 * the path, params and query like a call, and answers the path below the client's `/api`.
 * @example apiUrl(client.runs[':id']['report.csv'].$path({ param: { id: enc(id) }, query: { part: 'data' } }))
 */
export const apiUrl = (path: string) => `${API_BASE}${path}`;

type Client = typeof client;
/** What a typed call answers with a status, e.g. `Answer<Client['node']['$get']>`. */
type Answer<F extends (...args: never[]) => unknown, S extends StatusCode = 200> = InferResponseType<F, S>;

export type NodeInfo = Answer<Client['node']['$get']>;
/** This node's public document (`/.well-known/tandem`, outside /api). */
export type WellKnown = z.output<typeof wellKnownSchema>;
export type Probe = Answer<Client['probe']['$get']>;
/** The system of record this host syncs (`GET /api/tracker`). */
export type TrackerInfo = Answer<Client['tracker']['$get']>;
export type Entity = Answer<Client['entities'][':id']['$get']>;
/** A field the host offers for a type, with its pick-list values. */
export type OfferedField = Answer<Client['entities']['fields']['$get']>['items'][number];

/** Every list of the API (`{items, nextCursor?}`). */
export type List<T> = { items: T[]; nextCursor?: string | undefined };

export type Connection = Answer<Client['connections'][':id']['$get']>;
export type Created = Answer<Client['connections']['$post'], 201>;
/** A pending connection's invitation code, shown again or new (`GET|POST /api/connections/:id/invitation`). */
export type PendingCode = Answer<Client['connections'][':id']['invitation']['$get']>;
export type Mode = Connection['mode'];
export type ConnectionState = Connection['state'];
export type LinkStatus = Connection['outbound'];
export type Health = Answer<Client['connections'][':id']['health']['$get']>;
export type InvitationSummary = Answer<Client['invitations']['inspect']['$post']>;

export type Mapping = z.output<typeof mappingSchema>;
export type Scalar = Exclude<Mapping['default'], undefined>;
export type VisualScope = z.output<typeof visualScopeSchema>;
export type RuleSet = z.output<typeof ruleSetSchema>;
export type ScriptRules = Required<Pick<RuleSet, 'outgoing' | 'incoming'>>;
export type VisualRules = Required<Pick<RuleSet, 'mappings' | 'scope'>>;
/** The rules of a connection as published (`rulesViewSchema`): read and saved through `jsonAs<RulesView>()`. */
export type RulesView = z.output<typeof rulesViewSchema>;
export type TestRunResult = Answer<Client['connections'][':id']['rules']['test']['$post']>;

export type Trigger = Answer<Client['triggers'][':id']['$patch']>;
export type SyncError = Answer<Client['errors'][':id']['retry']['$post']>;
/** What retry all / resolve all did (`POST /api/errors/retry|resolve`). */
export type BulkErrorResult = Answer<Client['errors']['retry']['$post']>;
export type Run = Answer<Client['runs'][':id']['$get']>;
export type QueueItem = Answer<Client['connections'][':id']['queue']['$get']>['items'][number];

export type User = Answer<Client['users'][':id']['$patch']>;
export type ApiToken = Answer<Client['tokens']['$get']>['items'][number];
export type NewApiToken = Answer<Client['tokens']['$post'], 201>;
/** A page of the audit log (`GET /api/audit`; its CSV form is a download, not a call). */
export type AuditPage = Exclude<Answer<Client['audit']['$get']>, string>;
export type AuditRecord = AuditPage['items'][number];
export type NotificationTarget = Answer<Client['notifications']['$get']>['items'][number];
export type Delivery = Answer<Client['notifications'][':id']['test']['$post']>;
/** An entity's twins with their status, and the comments the partner wrote (`GET /api/entities/:id/sync`). */
export type EntitySync = Answer<Client['entities'][':id']['sync']['$get']>;
export type Twin = EntitySync['items'][number];
export type TwinStatus = Twin['status'];
/** One event of an entity each way, with its outcome (`GET /api/entities/:id/history`). */
export type HistoryItem = Answer<Client['entities'][':id']['history']['$get']>['items'][number];
