// Where one entity is synced (its twin on each connection, with the replicas), and Sync now with a connection.
import { useState } from 'preact/hooks';
import { client, enc, json } from '../../api.ts';
import { Empty, Field, Json, Loading, Problem, When } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';

export function SyncStatus({ entityId, version }: { entityId: string; version: number }) {
  const twins = useLoad(
    () => json(client.entities[':id'].sync.$get({ param: { id: enc(entityId) } })),
    `${entityId}@${version}`,
    5000,
  );
  const conns = useLoad(() => json(client.connections.$get({ query: {} })), 'connections');
  const [target, setTarget] = useState('');
  const [queued, setQueued] = useState('');
  const action = useAction();
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
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
                <span class="badge tone-off" data-twin-status={t.status}>
                  {t.deletedAtPartner ? 'deleted at partner' : t.status}
                </span>
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
      {conns.data?.items.length ? (
        <div class="form sync-now">
          <Field label="Sync with connection" id="sync-target">
            <select id="sync-target" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
              <option value="">Choose a connection</option>
              {conns.data.items.map((c) => (
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
