// The audit log: one row per change made through the API, appended and never edited; pages, filters and CSV.
import type { Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import { csvCell } from '../sync/run-report.ts';
import { boundedDetail } from './audit-detail.ts';

/** What a route records: a dotted action (`connection.renamed`), what it acted on, and what is worth knowing. */
export interface AuditEntry {
  action: string;
  /** `<kind>:<id>`, e.g. `connection:V1StGXR8`. */
  target?: string | null | undefined;
  detail?: Record<string, unknown> | undefined;
}

/** Who made the change, and from where. */
export interface AuditActor {
  actor: string;
  tokenName?: string | null | undefined;
  address?: string | null | undefined;
}

/** One row as the API shows it. */
export interface AuditRecord {
  id: string;
  at: string;
  actor: string;
  token: string | null;
  address: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  limit: number;
  cursor?: string | undefined;
  /** Exact actor (an email is matched lower-cased). */
  actor?: string | undefined;
  /** Exact action, or every action under a prefix: `connection.*`. */
  action?: string | undefined;
  /** ISO time: entries at or after it. */
  since?: string | undefined;
}

/**
 * Appends and reads the audit log.
 * @example await audit.append({ actor: 'ana@example.com', address: '10.0.0.9' }, [{ action: 'user.created', target: 'user:u1' }]);
 */
export interface AuditLog {
  append(who: AuditActor, entries: readonly AuditEntry[]): Promise<void>;
  page(q: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor?: string }>;
  /** Every entry the filters match, newest first, as CSV (at most `max` rows). */
  csv(q: Omit<AuditQuery, 'limit' | 'cursor'>, max?: number): Promise<string>;
}

const CSV_HEADER = ['id', 'at', 'actor', 'token', 'address', 'action', 'target', 'detail'];
const CSV_MAX_ROWS = 100_000;

function parseDetail(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function createAuditLog(db: Db, now: () => Date = () => new Date()): AuditLog {
  const filtered = (q: Omit<AuditQuery, 'limit'>) => {
    let s = db.selectFrom('audit_log').selectAll();
    if (q.actor) s = s.where('actor', '=', q.actor.includes('@') ? q.actor.toLowerCase() : q.actor);
    if (q.action?.endsWith('.*'))
      s = s.where('action', 'like', `${q.action.slice(0, -1).replace(/[%_]/g, '')}%`);
    else if (q.action) s = s.where('action', '=', q.action);
    if (q.since) s = s.where('at', '>=', q.since);
    if (q.cursor) {
      const before = Number(q.cursor);
      if (!Number.isInteger(before) || before < 1)
        throw new TandemError('INVALID_CURSOR', 400, 'The cursor is not valid');
      s = s.where('seq', '<', before);
    }
    return s.orderBy('seq', 'desc');
  };
  const record = (r: {
    seq: number;
    at: string;
    actor: string;
    token_name: string | null;
    address: string | null;
    action: string;
    target: string | null;
    detail: string;
  }): AuditRecord => ({
    id: String(r.seq),
    at: r.at,
    actor: r.actor,
    token: r.token_name,
    address: r.address,
    action: r.action,
    target: r.target,
    detail: parseDetail(r.detail),
  });

  return {
    async append(who, entries) {
      if (entries.length === 0) return;
      const at = now().toISOString();
      await db
        .insertInto('audit_log')
        .values(
          entries.map((e) => ({
            at,
            actor: who.actor,
            token_name: who.tokenName ?? null,
            address: who.address ?? null,
            action: e.action,
            target: e.target ?? null,
            detail: JSON.stringify(boundedDetail(e.detail ?? {})),
          })),
        )
        .execute();
    },

    async page(q) {
      const rows = await filtered(q)
        .limit(q.limit + 1)
        .execute();
      const items = rows.slice(0, q.limit).map((r) => record({ ...r, seq: Number(r.seq) }));
      const last = items.at(-1);
      return rows.length > q.limit && last ? { items, nextCursor: last.id } : { items };
    },

    async csv(q, max = CSV_MAX_ROWS) {
      const rows = await filtered(q).limit(max).execute();
      const lines = [CSV_HEADER.join(',')];
      for (const r of rows)
        lines.push(
          [r.seq, r.at, r.actor, r.token_name, r.address, r.action, r.target, r.detail]
            .map(csvCell)
            .join(','),
        );
      return `${lines.join('\r\n')}\r\n`;
    },
  };
}
