// History: the connection's sync runs with their counts and CSV reports.
import { type Connection, enc, get, type List, qs, type Run } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { When } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';

const countColumn = (head: string, of: (r: Run) => number): Column<Run> => ({ head, class: 'num', cell: of });

const COLUMNS: Column<Run>[] = [
  { head: 'Started', cell: (r) => <When at={r.startedAt} /> },
  { head: 'Kind', cell: (r) => r.kind },
  { head: 'Status', cell: (r) => r.status },
  countColumn('Processed', (r) => r.processed),
  countColumn('Created', (r) => r.created),
  countColumn('Updated', (r) => r.updated),
  countColumn('Skipped', (r) => r.skipped),
  countColumn('Errors', (r) => r.errors),
  countColumn('Warnings', (r) => r.warnings),
  {
    head: 'Reports (CSV)',
    class: 'links',
    cell: (r) => (
      <>
        <a href={`/api/runs/${enc(r.id)}/report.csv?part=data`} download>
          Data
        </a>
        <a href={`/api/runs/${enc(r.id)}/report.csv?part=errors`} download>
          Errors
        </a>
        <a href={`/api/runs/${enc(r.id)}/report.csv?part=all`} download>
          All
        </a>
      </>
    ),
  },
];

export function HistoryTab({ connection }: { connection: Connection }) {
  const runs = useLoad(
    () => get<List<Run>>(`/api/runs${qs({ connectionId: connection.id })}`),
    connection.id,
    3000,
  );
  return (
    <section aria-labelledby="history-title">
      <div class="tab-head">
        <h2 id="history-title">Sync history</h2>
      </div>
      <DataTable
        caption="Runs"
        columns={COLUMNS}
        rows={runs.data?.items}
        error={runs.error}
        rowKey={(r) => r.id}
        empty="No runs yet. A bulk sync or a manual sync starts one."
      />
    </section>
  );
}
