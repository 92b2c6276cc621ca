// A run's CSV report: the synced data, the errors and warnings, or both (as the xMatters data sync exports).
import type { SyncRunItemTable } from '../../storage/sync-tables.ts';

export type ReportPart = 'data' | 'errors' | 'all';

const HEADER = ['run_id', 'entity_id', 'entity_key', 'action', 'message'];

/** One CSV cell: quoted when needed, and guarded against spreadsheet formula injection. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function runReportCsv(runId: string, items: SyncRunItemTable[], part: ReportPart): string {
  const wanted = items.filter((it) => {
    const problem = it.action === 'error' || it.action === 'warning';
    return part === 'all' || (part === 'errors' ? problem : !problem);
  });
  const lines = [HEADER.join(',')];
  for (const it of wanted)
    lines.push([runId, it.entity_id, it.entity_key, it.action, it.message].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
