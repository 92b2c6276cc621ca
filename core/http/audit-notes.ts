// What one request will record in the audit log: the route's declared action, refined by its handler.
import type { AuditEntry } from '../audit/audit-log.ts';

/**
 * The handler's say in its audit entry (`c.var.audit`): set when the default (the declared action, the
 * path's `{id}` as target, the request body without credentials as detail) is not the whole story.
 * @example c.var.audit?.note({ action: 'rules.published', detail: { version, diff } });
 */
export interface AuditNotes {
  /** Changes the route's own entry. */
  note(patch: Partial<AuditEntry>): void;
  /** Records one more entry for the same call (a new connection also issued an invitation). */
  also(entry: AuditEntry): void;
  readonly patch: Partial<AuditEntry>;
  readonly extra: readonly AuditEntry[];
}

export function createAuditNotes(): AuditNotes {
  let patch: Partial<AuditEntry> = {};
  const extra: AuditEntry[] = [];
  return {
    note(p) {
      patch = { ...patch, ...p, ...(p.detail ? { detail: { ...patch.detail, ...p.detail } } : {}) };
    },
    also(entry) {
      extra.push(entry);
    },
    get patch() {
      return patch;
    },
    extra,
  };
}
