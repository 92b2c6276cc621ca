// Where one entity is synced (its twin on each connection, with its status and the replicas), and Sync now.
import { useState } from 'preact/hooks';
import { useCan } from '../../access.tsx';
import { type Connection, client, type EntitySync, enc, json } from '../../api.ts';
import { Empty, Field, Json, Loading, Problem, When } from '../../components/ui.tsx';
import { type Loaded, useAction } from '../../hooks.ts';
import { href } from '../../router.ts';
import { Badge, TWIN_STATUS } from '../sync/outcome-labels.tsx';

export function SyncStatus(props: {
  entityId: string;
  twins: Loaded<EntitySync>;
  connections: Connection[] | undefined;
}) {
  const { entityId, twins } = props;
  const can = useCan();
  const [target, setTarget] = useState('');
  const [queued, setQueued] = useState('');
  const action = useAction();
  const names = new Map((props.connections ?? []).map((c) => [c.id, c.name]));
  const syncNow = async () => {
    const r = await action.run(() =>
      json(
        client.connections[':id'].sync.$post({ param: { id: enc(target) }, json: { entityIds: [entityId] } }),
      ),
    );
    if (r) {
      setQueued(`Queued for ${names.get(target) ?? 'the connection'}`);
      await twins.reload();
    }
  };
  return (
    <section class="card" aria-labelledby="sync-title">
      <h2 id="sync-title">Sync status</h2>
      {twins.error ? (
        <Problem error={twins.error} />
      ) : !twins.data ? (
        <Loading />
      ) : twins.data.items.length === 0 ? (
        <Empty>Not synced with any connection.</Empty>
      ) : (
        <ul class="twins">
          {twins.data.items.map((t) => (
            <li key={t.connectionId}>
              <div>
                <a href={href(`/connections/${t.connectionId}`)}>
                  {names.get(t.connectionId) ?? t.connectionId}
                </a>{' '}
                <Badge
                  of={
                    t.deletedAtPartner ? { label: 'Deleted at partner', tone: 'off' } : TWIN_STATUS[t.status]
                  }
                  data={{ 'data-twin-status': t.status }}
                />
              </div>
              <div class="muted">
                Remote {t.remoteKey ?? t.remoteId ?? '—'} ·{' '}
                {t.deletedAtPartner ? 'deleted there' : 'last synced'} <When at={t.lastSyncedAt} />
              </div>
              {t.localReplica !== undefined || t.remoteReplica !== undefined ? (
                <details>
                  <summary>Replicas</summary>
                  <h3>Sent</h3>
                  <Json value={t.localReplica} label="Replica sent" />
                  <h3>Received</h3>
                  <Json value={t.remoteReplica} label="Replica received" />
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {props.connections?.length && can('rules') ? (
        <div class="form sync-now">
          <Field label="Sync with connection" id="sync-target">
            <select id="sync-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
              <option value="">Choose a connection</option>
              {props.connections.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          <button type="button" disabled={!target || action.busy} onClick={() => void syncNow()}>
            Sync now
          </button>
          {queued ? (
            <p class="saved" role="status">
              {queued}
            </p>
          ) : null}
          <Problem error={action.error} title="Not synced" />
        </div>
      ) : null}
    </section>
  );
}
