// The admin API client: same-origin fetch with the session cookie, problem+json turned into ApiError.
// Response types come from the route schemas (type-only imports: no server code in the bundle).
import type { z } from 'zod';
import type { commentSchema, entitySchema } from '../../core/http/routes/entities.ts';
import type { nodeSchema } from '../../core/http/routes/node.ts';
import type { wellKnownSchema } from '../../core/http/routes/public.ts';
import type { twinSchema } from '../../core/sync/routes.ts';
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

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The host cannot be reached. Is it running?', {});
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    if (res.status === 401 && !path.startsWith('/api/session')) {
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    }
    const message = String(p.detail ?? p.title ?? `${res.status} ${res.statusText}`);
    throw new ApiError(res.status, String(p.code ?? `http_${res.status}`), message, p);
  }
  return parsed as T;
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

export type NodeInfo = z.output<typeof nodeSchema>;
export type WellKnown = z.output<typeof wellKnownSchema>;
export type Comment = z.output<typeof commentSchema>;
export type Entity = z.output<typeof entitySchema>;
export type Twin = z.output<typeof twinSchema>;

export interface List<T> {
  items: T[];
  nextCursor?: string;
}

export type Mode = 'basic' | 'visual' | 'script';
export type ConnectionState =
  | 'pending'
  | 'awaiting_validation'
  | 'validated'
  | 'validation_failed'
  | 'active'
  | 'deactivated'
  | 'error';
export type LinkStatus = null | 'not_onboarded' | 'up' | 'slow' | 'down';

export interface Connection {
  id: string;
  name: string;
  description: string | null;
  mode: Mode;
  state: ConnectionState;
  outbound: LinkStatus;
  inbound: LinkStatus;
  localName: string;
  remoteName: string;
  peer: {
    nodeId: string | null;
    url: string | null;
    name: string | null;
    fingerprint?: string | null;
  } | null;
  createdAt: string;
  counts?: { queuedOut: number; queuedIn: number; errors: number; twins: number };
  role?: 'inviter' | 'acceptor';
  link?: { up: boolean; since: string | null; rttMs: number | null; dials: boolean };
  onboarding?: { message: string; at: string } | null;
  lastError?: string | null;
  invitation?: { id: string; expiresAt: string; usedAt: string | null };
}

export type Scalar = string | number | boolean | null;

/** A field mapping of Visual mode: `default` applies here, `remoteDefault` on the other side. */
export interface Mapping {
  local: string;
  remote: string;
  direction: 'both' | 'out' | 'in';
  values?: { local: Scalar; remote: Scalar }[] | Record<string, Scalar>;
  default?: Scalar;
  remoteDefault?: Scalar;
}

export interface VisualScope {
  local: { types: EntityType[] };
  remote: { types: EntityType[] };
}

export interface ScriptRules {
  outgoing: string;
  incoming: string;
}
export interface VisualRules {
  mappings: Mapping[];
  scope: unknown;
}
export type RuleSet = Partial<ScriptRules & VisualRules> & Record<string, unknown>;

export interface RulesView {
  mode: Mode;
  version: number;
  draft?: RuleSet | null;
  published: RuleSet | null;
}

export interface Trigger {
  id: string;
  connectionId?: string;
  entityType: EntityType;
  query: string;
  active: boolean;
  createdAt?: string;
}

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}
export interface Health {
  state: ConnectionState;
  checks: HealthCheck[];
}

export interface SyncError {
  id: string;
  level: 'entity' | 'connection' | 'node';
  connectionId: string | null;
  entityId?: string | null;
  message: string;
  script?: string | null;
  scriptLine?: number | null;
  occurredAt: string;
  status: 'open' | 'resolved';
}

export interface Run {
  id: string;
  kind: string;
  status: string;
  processed: number;
  total?: number | null;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  warnings: number;
  startedAt: string;
  finishedAt: string | null;
}
