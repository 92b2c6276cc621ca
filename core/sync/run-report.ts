// A run's CSV report: what the peer applied, what was skipped, the errors and warnings (as the xMatters data sync exports).
import type { DbExecutor } from '../../storage/schema.ts';
import { bucketOf } from './runs.ts';

export type ReportPart = 'data' | 'errors' | 'all';

/** One line of the report: an entity and what became of it, here (decided before sending) or at the partner. */
export interface ReportLine {
  entityId: string;
  entityKey: string | null;
  /** `created`, `updated`, `skipped`, `pending` (no outcome yet), `error` or `warning`. */
  action: string;
  message: string | null;
  side: 'here' | 'partner';
  remoteKey: string | null;
}

// The first five columns are the report's from before outcomes travelled back; new ones come after them.
const HEADER = ['run_id', 'entity_id', 'entity_key', 'action', 'message', 'side', 'remote_key'];

const ACTION_OF = {
  created: 'created',
  updated: 'updated',
  skipped: 'skipped',
  errors: 'error',
  pending: 'pending',
};

/** The run's lines: what this side decided (items), then each sent event with the outcome the partner gave it. */
export async function runReport(db: DbExecutor, runId: string): Promise<ReportLine[]> {
  const items = await db
    .selectFrom('sync_run_items')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('n')
    .execute();
  const events = await db
    .selectFrom('sync_event_log')
    .select(['entity_id', 'entity_key', 'remote_key', 'outcome', 'action', 'message'])
    .where('run_id', '=', runId)
    .orderBy('seq')
    .execute();
  return [
    ...items.map(
      (it): ReportLine => ({
        entityId: it.entity_id,
        entityKey: it.entity_key,
        action: it.action,
        message: it.message,
        side: 'here',
        remoteKey: null,
      }),
    ),
    ...events.map(
      (e): ReportLine => ({
        entityId: e.entity_id ?? '',
        entityKey: e.entity_key,
        action: ACTION_OF[bucketOf(e.outcome, e.action)],
        message: e.message,
        side: 'partner',
        remoteKey: e.remote_key,
      }),
    ),
  ];
}

/** One CSV cell: quoted when needed, and guarded against spreadsheet formula injection. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const isProblem = (action: string) => action === 'error' || action === 'warning';

export function runReportCsv(runId: string, lines: ReportLine[], part: ReportPart): string {
  const wanted = lines.filter((l) => part === 'all' || (part === 'errors') === isProblem(l.action));
  const out = [HEADER.join(',')];
  for (const l of wanted)
    out.push(
      [runId, l.entityId, l.entityKey, l.action, l.message, l.side, l.remoteKey].map(csvCell).join(','),
    );
  return `${out.join('\r\n')}\r\n`;
}
