// One sync run: live progress (from the host, so it is right whenever you come back), its counts, cancel, reports.
import { useState } from 'preact/hooks';
import { client, enc, json } from '../../api.ts';
import { Page, Problem, When, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { href, qs } from '../../router.ts';
import { Badge, RUN_STATUS } from '../sync/outcome-labels.tsx';
import { RunBar } from '../sync/run-progress.tsx';
import { ReportLinks } from './runs-table.tsx';

/** How often an open run page asks for the run's progress. */
const POLL_MS = 1000;

export function RunPage({ id }: { id: string }) {
  const run = useLoad(() => json(client.runs[':id'].$get({ param: { id: enc(id) } })), id, POLL_MS);
  const conn = useLoad(
    async () =>
      run.data
        ? json(client.connections[':id'].$get({ param: { id: enc(run.data.connectionId) } }))
        : undefined,
    run.data?.connectionId ?? '',
  );
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const cancel = async () => {
    setConfirming(false);
    const r = await action.run(() => json(client.runs[':id'].cancel.$post({ param: { id: enc(id) } })));
    if (r) run.setData(r);
  };
  return (
    <Page
      title="Sync run"
      intro={
        run.data
          ? `${run.data.kind === 'bulk' ? 'Bulk' : 'Manual'} sync on ${conn.data?.name ?? 'a connection'}`
          : undefined
      }
      actions={<a href={href('/runs')}>All runs</a>}
    >
      <WhenLoaded data={run.data} error={run.error}>
        {(r) => (
          <div class="card run-page" data-run={r.id} data-status={r.status}>
            <p>
              <Badge of={RUN_STATUS[r.status]} data={{ 'data-run-status': r.status }} /> Started{' '}
              <When at={r.startedAt} />
              {r.finishedAt ? (
                <>
                  {' '}
                  · ended <When at={r.finishedAt} />
                </>
              ) : null}
            </p>
            <RunBar run={r} />
            <dl class="facts run-counts">
              <dt>Entities</dt>
              <dd data-count="total">{r.total}</dd>
              <dt>Done</dt>
              <dd data-count="processed">{r.processed}</dd>
              <dt>Waiting for the partner</dt>
              <dd data-count="pending">{r.pending}</dd>
              <dt>Created at the partner</dt>
              <dd data-count="created">{r.created}</dd>
              <dt>Updated at the partner</dt>
              <dd data-count="updated">{r.updated}</dd>
              <dt>Skipped</dt>
              <dd data-count="skipped">{r.skipped}</dd>
              <dt>Errors</dt>
              <dd data-count="errors">
                {r.errors}
                {r.errors ? (
                  <>
                    {' '}
                    <a href={href(`/connections/${r.connectionId}/errors${qs({ status: 'open' })}`)}>
                      See the errors
                    </a>
                  </>
                ) : null}
              </dd>
              <dt>Warnings</dt>
              <dd data-count="warnings">{r.warnings}</dd>
            </dl>
            {r.status === 'cancelled' && !r.finishedAt ? (
              <p class="hint">
                Cancelled: nothing more is sent; it ends once the changes already sent have their outcome.
              </p>
            ) : null}
            <p class="run-links">
              Reports (CSV): <ReportLinks run={r} />
            </p>
            {r.status === 'running' ? (
              confirming ? (
                <span class="confirm">
                  Cancel this run? What is not sent yet will not be; what was sent still gets its outcome.{' '}
                  <button type="button" class="danger" onClick={() => void cancel()} disabled={action.busy}>
                    Cancel run
                  </button>
                  <button type="button" onClick={() => setConfirming(false)}>
                    Keep it running
                  </button>
                </span>
              ) : (
                <button type="button" onClick={() => setConfirming(true)}>
                  Cancel…
                </button>
              )
            ) : null}
            <Problem error={action.error} title="Not cancelled" />
          </div>
        )}
      </WhenLoaded>
    </Page>
  );
}
