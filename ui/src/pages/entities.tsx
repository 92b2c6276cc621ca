// Entities of the built-in tracker: filter by type, search, page through, create a new one.
import { useState } from 'preact/hooks';
import { ENTITY_TYPES, type Entity, get, type List, post, qs } from '../api.ts';
import { Empty, Field, issueFor, Loading, Page, Problem, When } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { href, navigate } from '../router.ts';

export function Entities({ query }: { query: URLSearchParams }) {
  const type = query.get('type') ?? '';
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const [extra, setExtra] = useState<{ key: string; items: Entity[]; next?: string | undefined }>({
    key: '',
    items: [],
  });
  const [creating, setCreating] = useState(false);
  const key = `${type}|${q}`;
  const list = useLoad(() => get<List<Entity>>(`/api/entities${qs({ type, q, limit: 50 })}`), key);
  const more = useAction();

  const go = (t: string, s: string) => navigate(`/entities${qs({ type: t, q: s.trim() })}`);
  const items = [...(list.data?.items ?? []), ...(extra.key === key ? extra.items : [])];
  const next = extra.key === key && extra.items.length ? extra.next : list.data?.nextCursor;
  const loadMore = async () => {
    const r = await more.run(() =>
      get<List<Entity>>(`/api/entities${qs({ type, q, limit: 50, cursor: next })}`),
    );
    if (r)
      setExtra({ key, items: [...(extra.key === key ? extra.items : []), ...r.items], next: r.nextCursor });
  };

  return (
    <Page
      title="Entities"
      intro="Work items in this host's built-in tracker."
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)} disabled={creating}>
          New entity
        </button>
      }
    >
      {creating ? <NewEntity onCancel={() => setCreating(false)} /> : null}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go(type, search);
        }}
      >
        <div class="field inline">
          <label for="filter-type">Type</label>
          <select id="filter-type" value={type} onChange={(e) => go(e.currentTarget.value, search)}>
            <option value="">All types</option>
            {ENTITY_TYPES.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
          </select>
        </div>
        <div class="field inline grow">
          <label for="filter-q">Search</label>
          <input
            id="filter-q"
            type="search"
            placeholder="Key, summary or description"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Search</button>
      </form>
      <Problem error={list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : items.length === 0 && !list.error ? (
        <Empty>{q || type ? 'No entity matches this filter.' : 'There are no entities yet.'}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <caption class="sr-only">Entities</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Type</th>
                <th scope="col">Summary</th>
                <th scope="col">Status</th>
                <th scope="col">Priority</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>
                    <a href={href(`/entities/${e.id}`)}>{e.key}</a>
                  </td>
                  <td>{typeLabel(e.type)}</td>
                  <td class="wrap">{String(e.fields.summary ?? '')}</td>
                  <td>{String(e.fields.status ?? '')}</td>
                  <td>{e.fields.priority ?? ''}</td>
                  <td>
                    <When at={e.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Problem error={more.error} />
      {next ? (
        <button type="button" onClick={() => void loadMore()} disabled={more.busy}>
          {more.busy ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </Page>
  );
}

const TYPE_LABELS: Record<string, string> = {
  incident: 'Incident',
  case: 'Case',
  change: 'Change',
  problem: 'Problem',
  ci: 'Configuration item',
  request: 'Request',
  user: 'User',
};
export const typeLabel = (t: string) => TYPE_LABELS[t] ?? t;

function NewEntity({ onCancel }: { onCancel: () => void }) {
  const [type, setType] = useState<string>('incident');
  const [summary, setSummary] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState('new');
  const [priority, setPriority] = useState('3');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const created = await action.run(() =>
      post<Entity>('/api/entities', {
        type,
        fields: { summary, description, status, priority: Number(priority) },
      }),
    );
    if (created) navigate(`/entities/${created.id}`);
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-entity-title">
      <h2 id="new-entity-title">New entity</h2>
      <div class="grid-2">
        <Field label="Type" id="new-type" required error={issueFor(action.error, 'type')}>
          <select id="new-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {ENTITY_TYPES.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Priority" id="new-priority" error={issueFor(action.error, 'priority')}>
          <select id="new-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
            {[1, 2, 3, 4, 5].map((p) => (
              <option key={p} value={String(p)}>
                {p}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Summary" id="new-summary" required error={issueFor(action.error, 'summary')}>
        <input id="new-summary" required value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
      </Field>
      <Field label="Description" id="new-description" error={issueFor(action.error, 'description')}>
        <textarea
          id="new-description"
          rows={4}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field label="Status" id="new-status" error={issueFor(action.error, 'status')}>
        <input id="new-status" value={status} onInput={(e) => setStatus(e.currentTarget.value)} />
      </Field>
      <Problem error={action.error} title="Not created" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
