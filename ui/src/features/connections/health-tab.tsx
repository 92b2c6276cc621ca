// Health: the connection's checks with how to fix the failed ones, and a Validate button to run them again.
import { Can } from '../../access.tsx';
import { type Connection, client, enc, json } from '../../api.ts';
import { Checks, Empty, Problem, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { StateBadge } from './badges.tsx';

export function HealthTab({
  connection,
  onChanged,
}: {
  connection: Connection;
  onChanged: () => Promise<void>;
}) {
  const param = { id: enc(connection.id) };
  const health = useLoad(() => json(client.connections[':id'].health.$get({ param })), connection.id);
  const action = useAction();
  const validate = async () => {
    const r = await action.run(() => json(client.connections[':id'].validate.$post({ param })));
    if (r) {
      health.setData(r);
      await onChanged();
    }
  };
  const failed = health.data?.checks.filter((c) => !c.ok).length ?? 0;
  return (
    <section aria-labelledby="health-title">
      <div class="tab-head">
        <h2 id="health-title">Health checks</h2>
        <Can need="admin">
          <button type="button" class="primary" onClick={() => void validate()} disabled={action.busy}>
            {action.busy ? 'Validating…' : 'Validate'}
          </button>
        </Can>
      </div>
      <Problem error={action.error} title="Validation could not run" />
      <WhenLoaded data={health.data} error={health.error}>
        {(h) => (
          <>
            <p>
              State <StateBadge state={h.state} />{' '}
              {failed ? (
                <span class="field-error">
                  {failed} check{failed === 1 ? '' : 's'} failed
                </span>
              ) : (
                <span class="saved">All checks passed</span>
              )}
            </p>
            {h.checks.length === 0 ? <Empty>No checks have run yet.</Empty> : <Checks checks={h.checks} />}
          </>
        )}
      </WhenLoaded>
    </section>
  );
}
