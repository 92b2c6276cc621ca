// One entity: edit its fields, read and add comments, see where it is synced and sync it by hand.
import { useEffect, useState } from 'preact/hooks';
import { type Connection, type Entity, enc, get, type List, patch, post, type Twin } from '../api.ts';
import {
  Empty,
  Field,
  isMissingRoute,
  issueFor,
  Json,
  Loading,
  Page,
  Problem,
  When,
} from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { href } from '../router.ts';
import { typeLabel } from './entities.tsx';

export function EntityPage({ id }: { id: string }) {
  const entity = useLoad(() => get<Entity>(`/api/entities/${enc(id)}`), id);
  const e = entity.data;
  return (
    <Page
      title={e ? `${e.key} · ${String(e.fields.summary ?? '')}` : 'Entity'}
      intro={e ? `${typeLabel(e.type)} · version ${e.version}` : undefined}
      actions={<a href={href('/entities')}>All entities</a>}
    >
      <Problem error={entity.error} />
      {!e ? (
        entity.error ? null : (
          <Loading />
        )
      ) : (
        <div class="columns">
          <div class="main-col">
            <EditEntity entity={e} onSaved={entity.setData} />
            <Comments entity={e} onAdded={entity.setData} />
          </div>
          <aside class="side-col" aria-label="Sync status">
            <SyncStatus entityId={e.id} version={e.version} />
          </aside>
        </div>
      )}
    </Page>
  );
}

function EditEntity({ entity, onSaved }: { entity: Entity; onSaved: (e: Entity) => void }) {
  const [summary, setSummary] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState('');
  const [priority, setPriority] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    setSummary(String(entity.fields.summary ?? ''));
    setDescription(String(entity.fields.description ?? ''));
    setStatus(String(entity.fields.status ?? ''));
    setPriority(entity.fields.priority === undefined ? '' : String(entity.fields.priority));
  }, [entity]);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setSaved(false);
    const fields: Record<string, unknown> = { summary, description, status };
    if (priority) fields.priority = Number(priority);
    const r = await action.run(() =>
      patch<Entity>(`/api/entities/${enc(entity.id)}`, { fields, version: entity.version }),
    );
    if (r) {
      onSaved(r);
      setSaved(true);
    }
  };
  const custom = Object.entries(entity.fields).filter(
    ([k]) => !['summary', 'description', 'status', 'priority'].includes(k),
  );
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Details</h2>
      <Field label="Summary" id="ent-summary" required error={issueFor(action.error, 'summary')}>
        <input id="ent-summary" required value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
      </Field>
      <Field label="Description" id="ent-description" error={issueFor(action.error, 'description')}>
        <textarea
          id="ent-description"
          rows={5}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <div class="grid-2">
        <Field label="Status" id="ent-status" error={issueFor(action.error, 'status')}>
          <input id="ent-status" value={status} onInput={(e) => setStatus(e.currentTarget.value)} />
        </Field>
        <Field label="Priority" id="ent-priority" error={issueFor(action.error, 'priority')}>
          <select id="ent-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
            <option value="">None</option>
            {[1, 2, 3, 4, 5].map((p) => (
              <option key={p} value={String(p)}>
                {p}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {custom.length ? (
        <details>
          <summary>Other fields ({custom.length})</summary>
          <Json value={Object.fromEntries(custom)} label="Other fields" />
        </details>
      ) : null}
      <Problem error={action.error} title="Not saved" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save changes'}
        </button>
        {saved ? (
          <span class="saved" role="status">
            Saved
          </span>
        ) : null}
        <span class="muted">
          Updated <When at={entity.updatedAt} />
        </span>
      </div>
    </form>
  );
}

function Comments({ entity, onAdded }: { entity: Entity; onAdded: (e: Entity) => void }) {
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const action = useAction();
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const r = await action.run(() =>
      post<Entity>(`/api/entities/${enc(entity.id)}/comments`, { body, internal }),
    );
    if (r) {
      onAdded(r);
      setBody('');
      setInternal(false);
    }
  };
  return (
    <section class="card" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments ({entity.comments.length})</h2>
      {entity.comments.length === 0 ? (
        <Empty>No comments yet.</Empty>
      ) : (
        <ol class="comments">
          {entity.comments.map((c) => (
            <li key={c.id} class={c.internal ? 'internal' : ''}>
              <div class="comment-meta">
                <strong>{c.author}</strong> · <When at={c.createdAt} />
                {c.internal ? <span class="badge tone-off">Internal</span> : null}
              </div>
              <p class="comment-body">{c.body}</p>
            </li>
          ))}
        </ol>
      )}
      <form class="form" onSubmit={submit}>
        <Field label="Add a comment" id="comment-body" error={issueFor(action.error, 'body')}>
          <textarea id="comment-body" rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
        </Field>
        <div class="form-actions">
          <label class="check">
            <input
              type="checkbox"
              checked={internal}
              onChange={(e) => setInternal(e.currentTarget.checked)}
            />
            Internal note (not sent to partners by default)
          </label>
          <button type="submit" disabled={action.busy || !body.trim()}>
            {action.busy ? 'Adding…' : 'Add comment'}
          </button>
        </div>
        <Problem error={action.error} title="Comment not added" />
      </form>
    </section>
  );
}

function SyncStatus({ entityId, version }: { entityId: string; version: number }) {
  const twins = useLoad(
    () => get<List<Twin>>(`/api/entities/${enc(entityId)}/sync`),
    `${entityId}@${version}`,
    5000,
  );
  const conns = useLoad(() => get<List<Connection>>('/api/connections'), 'connections');
  const [target, setTarget] = useState('');
  const [queued, setQueued] = useState('');
  const action = useAction();
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
  const syncNow = async () => {
    const r = await action.run(() =>
      post<{ runId: string }>(`/api/connections/${enc(target)}/sync`, { entityIds: [entityId] }),
    );
    if (r) {
      setQueued(`Queued for ${names.get(target) ?? 'the connection'}`);
      await twins.reload();
    }
  };
  return (
    <section class="card" aria-labelledby="sync-title">
      <h2 id="sync-title">Sync status</h2>
      {isMissingRoute(twins.error) ? (
        <Problem error={twins.error} />
      ) : twins.error ? (
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
                  {t.status}
                </span>
              </div>
              <div class="muted">
                Remote {t.remoteKey ?? t.remoteId ?? '—'} · last synced <When at={t.lastSyncedAt} />
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
