// Sync errors (of one connection, or of the whole node): what failed, where in the script, Retry or Resolve.
import { useCan } from '../../access.tsx';
import { type Connection, client, enc, json, type SyncError } from '../../api.ts';
import { Empty, Problem, When, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { href, navigate, useRoute } from '../../router.ts';

export function scriptPlace(e: SyncError): string | null {
  if (e.scriptLine == null) return null;
  return `${e.script ? `${e.script} script, ` : ''}line ${e.scriptLine}`;
}

export function ErrorsTab(props: {
  connection?: Connection;
  /** Names of connections, for the node-wide list. */
  names?: Map<string, string>;
  onChanged?: () => Promise<void>;
}) {
  const { connection } = props;
  const route = useRoute();
  const status = route.query.get('status') === 'resolved' ? 'resolved' : 'open';
  const here = connection ? `/connections/${connection.id}/errors` : '/errors';
  const errors = useLoad(
    () => json(client.errors.$get({ query: { connectionId: connection?.id, status } })),
    `${connection?.id ?? '*'}:${status}`,
    3000,
  );
  const action = useAction();
  const act = async (e: SyncError, what: 'retry' | 'resolve') => {
    const r = await action.run(async () => {
      await client.errors[':id'][what].$post({ param: { id: enc(e.id) } });
      return true;
    });
    if (r) {
      await errors.reload();
      await props.onChanged?.();
    }
  };
  return (
    <section aria-labelledby={connection ? 'errors-title' : 'page-title'}>
      <div class="tab-head">
        {connection ? <h2 id="errors-title">Errors</h2> : <span />}
        <div class="field inline">
          <label for="error-status">Show</label>
          <select
            id="error-status"
            value={status}
            onChange={(e) => navigate(`${here}?status=${e.currentTarget.value}`)}
          >
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
          </select>
        </div>
      </div>
      <Problem error={action.error} title="The action failed" />
      <WhenLoaded data={errors.data} error={errors.error}>
        {(list) =>
          list.items.length === 0 ? (
            <Empty>{status === 'open' ? 'No open errors. Everything flows.' : 'No resolved errors.'}</Empty>
          ) : (
            <ul class="errors">
              {list.items.map((e) => (
                <ErrorItem
                  key={e.id}
                  error={e}
                  connection={connection}
                  names={props.names}
                  busy={action.busy}
                  onAct={(what) => void act(e, what)}
                />
              ))}
            </ul>
          )
        }
      </WhenLoaded>
    </section>
  );
}

function ErrorItem(props: {
  error: SyncError;
  connection: Connection | undefined;
  names: Map<string, string> | undefined;
  busy: boolean;
  onAct: (what: 'retry' | 'resolve') => void;
}) {
  const { error: e, connection, names, busy, onAct } = props;
  const can = useCan();
  const place = scriptPlace(e);
  const connId = e.connectionId ?? connection?.id;
  return (
    <li class="card error-item" data-error={e.id}>
      <div class="error-head">
        <span class="badge tone-bad">{e.level}</span>
        {!connection && e.connectionId ? (
          <a href={href(`/connections/${e.connectionId}/errors`)}>
            {names?.get(e.connectionId) ?? 'Connection'}
          </a>
        ) : null}
        {e.entityId ? <a href={href(`/entities/${e.entityId}`)}>Entity</a> : null}
        <When at={e.occurredAt} />
      </div>
      <p class="error-message">{e.message}</p>
      {place ? (
        <p class="script-line">
          At{' '}
          {connId ? (
            <a href={href(`/connections/${connId}/rules?script=${e.script ?? ''}&line=${e.scriptLine}`)}>
              {place}
            </a>
          ) : (
            place
          )}
        </p>
      ) : null}
      {e.status === 'open' && can('rules') ? (
        <div class="form-actions">
          <button type="button" class="primary" onClick={() => onAct('retry')} disabled={busy}>
            Retry
          </button>
          <button type="button" onClick={() => onAct('resolve')} disabled={busy}>
            Resolve
          </button>
        </div>
      ) : null}
    </li>
  );
}
