// A table of sync runs: when, where, status and progress, what the partner did with them, and their CSV reports.

import type { ApiError } from '../../api.ts';
import { apiUrl, client, enc, type Run } from '../../api.ts';
import { type Column, DataTable, type Paging } from '../../components/data-table.tsx';
import { When } from '../../components/ui.tsx';
import { href } from '../../router.ts';
import { Badge, RUN_STATUS } from '../sync/outcome-labels.tsx';

/**
 * A run's CSV report: a link the browser downloads itself with the session cookie, so a URL rather than a call;
 * its path and query are still the typed client's (`$path`).
 */
export const reportUrl = (run: Run, part: 'data' | 'errors' | 'all') =>
  apiUrl(client.runs[':id']['report.csv'].$path({ param: { id: enc(run.id) }, query: { part } }));

const count = (head: string, of: (r: Run) => number): Column<Run> => ({ head, class: 'num', cell: of });

export function ReportLinks({ run }: { run: Run }) {
  return (
    <>
      <a href={reportUrl(run, 'data')} download>
        Data
      </a>
      <a href={reportUrl(run, 'errors')} download>
        Errors
      </a>
      <a href={reportUrl(run, 'all')} download>
        All
      </a>
    </>
  );
}

function columns(names: Map<string, string> | undefined): Column<Run>[] {
  return [
    {
      head: 'Started',
      cell: (r) => (
        <a href={href(`/runs/${r.id}`)} aria-label={`Run of ${new Date(r.startedAt).toLocaleString()}`}>
          <When at={r.startedAt} />
        </a>
      ),
    },
    ...(names
      ? [
          {
            head: 'Connection',
            cell: (r: Run) => (
              <a href={href(`/connections/${r.connectionId}/history`)}>
                {names.get(r.connectionId) ?? r.connectionId}
              </a>
            ),
          },
        ]
      : []),
    { head: 'Kind', cell: (r) => r.kind },
    {
      head: 'Status',
      cell: (r) => <Badge of={RUN_STATUS[r.status]} data={{ 'data-run-status': r.status }} />,
    },
    { head: 'Progress', class: 'num', cell: (r) => `${r.processed} / ${r.total}` },
    count('Created', (r) => r.created),
    count('Updated', (r) => r.updated),
    count('Skipped', (r) => r.skipped),
    count('Errors', (r) => r.errors),
    count('Waiting', (r) => r.pending),
    { head: 'Reports (CSV)', class: 'links', cell: (r) => <ReportLinks run={r} /> },
  ];
}

export function RunsTable(props: {
  rows: Run[] | undefined;
  error: ApiError | undefined;
  /** Connection names, for a node-wide table (a connection column). */
  names?: Map<string, string> | undefined;
  paging?: Paging;
}) {
  return (
    <DataTable
      caption="Runs"
      columns={columns(props.names)}
      rows={props.rows}
      error={props.error}
      rowKey={(r) => r.id}
      rowAttrs={(r) => ({ 'data-run': r.id })}
      empty="No runs yet. A bulk sync or a manual sync starts one."
      {...(props.paging ? { paging: props.paging } : {})}
    />
  );
}
