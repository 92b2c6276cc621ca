// History: the connection's sync runs with their counts and CSV reports.
import { type Connection, enc, get, type List, qs, type Run } from '../api.ts';
import { Empty, Loading, Problem, When } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

export function HistoryTab({ connection }: { connection: Connection }) {
  const runs = useLoad(
    () => get<List<Run>>(`/api/runs${qs({ connectionId: connection.id })}`),
    connection.id,
    3000,
  );
  const items = runs.data?.items ?? [];
  return (
    <section aria-labelledby="history-title">
      <div class="tab-head">
        <h2 id="history-title">Sync history</h2>
      </div>
      <Problem error={runs.error} />
      {!runs.data ? (
        runs.error ? null : (
          <Loading />
        )
      ) : items.length === 0 ? (
        <Empty>No runs yet. A bulk sync or a manual sync starts one.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <caption class="sr-only">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Processed</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">Skipped</th>
                <th scope="col">Errors</th>
                <th scope="col">Warnings</th>
                <th scope="col">Reports (CSV)</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <When at={r.startedAt} />
                  </td>
                  <td>{r.kind}</td>
                  <td>{r.status}</td>
                  <td class="num">{r.processed}</td>
                  <td class="num">{r.created}</td>
                  <td class="num">{r.updated}</td>
                  <td class="num">{r.skipped}</td>
                  <td class="num">{r.errors}</td>
                  <td class="num">{r.warnings}</td>
                  <td class="links">
                    <a href={`/api/runs/${enc(r.id)}/report.csv?part=data`} download>
                      Data
                    </a>
                    <a href={`/api/runs/${enc(r.id)}/report.csv?part=errors`} download>
                      Errors
                    </a>
                    <a href={`/api/runs/${enc(r.id)}/report.csv?part=all`} download>
                      All
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
