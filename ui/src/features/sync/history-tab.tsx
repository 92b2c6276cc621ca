// History: the connection's sync runs with their counts and CSV reports.
import { apiUrl, type Connection, client, enc, json, type Run } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { When } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';

const countColumn = (head: string, of: (r: Run) => number): Column<Run> => ({ head, class: 'num', cell: of });

/**
 * A run's CSV report: a link the browser downloads itself with the session cookie, so a URL rather than a call;
 * its path and query are still the typed client's (`$path`).
 */
const reportUrl = (run: Run, part: 'data' | 'errors' | 'all') =>
  apiUrl(client.runs[':id']['report.csv'].$path({ param: { id: enc(run.id) }, query: { part } }));

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
        <a href={reportUrl(r, 'data')} download>
          Data
        </a>
        <a href={reportUrl(r, 'errors')} download>
          Errors
        </a>
        <a href={reportUrl(r, 'all')} download>
          All
        </a>
      </>
    ),
  },
];

export function HistoryTab({ connection }: { connection: Connection }) {
  const runs = useLoad(
    () => json(client.runs.$get({ query: { connectionId: connection.id } })),
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
