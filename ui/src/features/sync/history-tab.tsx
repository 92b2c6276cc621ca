// History: the connection's sync runs with their progress, counts and CSV reports.
import { type Connection, client, json } from '../../api.ts';
import { useLoad } from '../../hooks.ts';
import { RunsTable } from '../runs/runs-table.tsx';

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
      <RunsTable rows={runs.data?.items} error={runs.error} />
    </section>
  );
}
