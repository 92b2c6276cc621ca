// The audit entries a successful call records: its route's declared action, refined by the handler's notes.
import type { Context } from 'hono';
import { redact } from '../audit/audit-detail.ts';
import type { AuditEntry } from '../audit/audit-log.ts';
import { parseBoundedJson } from '../json-bounds.ts';
import type { AuditNotes } from './audit-notes.ts';
import type { MatchedOperation } from './route-index.ts';

/** `/api/connections/{id}/rules` with id `c1` -> `connection:c1`: the collection before the first parameter. */
export function defaultTarget(match: MatchedOperation): string | null {
  const segments = match.template.split('/').filter(Boolean);
  const at = segments.findIndex((s) => s.startsWith('{'));
  if (at < 1) return null;
  const name = segments[at]!.slice(1, -1);
  const kind = segments[at - 1]!.replace(/ies$/, 'y').replace(/s$/, '');
  return `${kind}:${match.params[name] ?? ''}`;
}

/** The request's JSON body without credentials, as the default detail (a non-JSON body says only its size). */
async function bodyDetail(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/json/i.test(type)) {
    const length = c.req.header('content-length');
    return length ? { bytes: Number(length) } : {};
  }
  // Already read by the route's validator: hono hands back the same text.
  const read = parseBoundedJson(await c.req.text());
  if (!read.ok || !read.value || typeof read.value !== 'object' || Array.isArray(read.value)) return {};
  return redact(read.value) as Record<string, unknown>;
}

/** The entries a successful call records: its own (declared, then refined) and any extra ones. */
export async function auditEntries(
  c: Context,
  match: MatchedOperation,
  notes: AuditNotes,
): Promise<AuditEntry[]> {
  const declared = match.op.audit;
  const own: AuditEntry[] = [];
  // An undeclared write still records, under its operation id, so nothing goes unlogged; tests name it.
  const action =
    notes.patch.action ??
    (typeof declared === 'string' ? declared : declared ? undefined : `api.${match.op.operationId}`);
  if (action)
    own.push({
      action,
      target: notes.patch.target !== undefined ? notes.patch.target : defaultTarget(match),
      detail: notes.patch.detail ?? (await bodyDetail(c)),
    });
  return [...own, ...notes.extra];
}
