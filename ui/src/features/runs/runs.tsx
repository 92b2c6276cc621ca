// Every sync run of this node, newest first, with its progress and counts; each opens its own page.
import { client, json, type Run } from '../../api.ts';
import { Page } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { navigate, qs } from '../../router.ts';
import { RUN_STATUS } from '../sync/outcome-labels.tsx';
import { RunsTable } from './runs-table.tsx';

const STATUSES = Object.keys(RUN_STATUS) as Run['status'][];

export function Runs({ query }: { query: URLSearchParams }) {
  const status = STATUSES.find((s) => s === query.get('status'));
  const conns = useLoad(() => json(client.connections.$get({ query: {} })), 'connections');
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
  const runs = useLoad(
    () => json(client.runs.$get({ query: { limit: '100', ...(status ? { status } : {}) } })),
    status ?? '*',
    2000,
  );
  return (
    <Page
      title="Runs"
      intro="Bulk and manual syncs on every connection. A run counts what the partner actually did with each change, and ends once every change has its outcome."
    >
      <div class="filters">
        <div class="field inline">
          <label for="run-status">Status</label>
          <select
            id="run-status"
            value={status ?? ''}
            onChange={(e) => navigate(`/runs${qs({ status: e.currentTarget.value })}`)}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {RUN_STATUS[s].label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <RunsTable rows={runs.data?.items} error={runs.error} names={names} />
    </Page>
  );
}
