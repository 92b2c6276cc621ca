// The audit log: every change made through the API, newest first, filtered by actor, action and time; CSV export.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type AuditPage, type AuditRecord, apiUrl, client, json } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Field, Page, When } from '../../components/ui.tsx';
import { usePagedList } from '../../hooks.ts';
import { navigate, qs } from '../../router.ts';

/** Action groups to filter by (`connection.*`), and any exact action typed in. */
const GROUPS = [
  'connection',
  'invitation',
  'rules',
  'trigger',
  'sync',
  'error',
  'entity',
  'user',
  'token',
  'notification',
  'node',
  'session',
];

/** A page of entries (asked as JSON, so a CSV answer would be a mistake of the host). */
async function page(call: ReturnType<typeof client.audit.$get>): Promise<AuditPage> {
  const r = await json(call);
  if (typeof r === 'string') throw new ApiError(0, 'unexpected_csv', 'The host answered CSV', {});
  return r;
}

const COLUMNS: Column<AuditRecord>[] = [
  { head: 'When', cell: (r) => <When at={r.at} /> },
  {
    head: 'Who',
    cell: (r) => (
      <>
        {r.actor}
        {r.token ? <div class="muted small">token {r.token}</div> : null}
        {r.address ? <div class="muted small">{r.address}</div> : null}
      </>
    ),
  },
  { head: 'Action', cell: (r) => <code>{r.action}</code> },
  { head: 'Target', class: 'wrap', cell: (r) => r.target ?? <span class="muted">—</span> },
  {
    head: 'Detail',
    class: 'wrap',
    cell: (r) =>
      Object.keys(r.detail).length ? <pre class="detail">{JSON.stringify(r.detail, null, 1)}</pre> : null,
  },
];

export function AuditLog({ query }: { query: URLSearchParams }) {
  const filters = {
    actor: query.get('actor') ?? '',
    action: query.get('action') ?? '',
    since: query.get('since') ?? '',
  };
  const [actor, setActor] = useState(filters.actor);
  const [action, setAction] = useState(filters.action);
  const [since, setSince] = useState(filters.since);
  useEffect(() => {
    setActor(filters.actor);
    setAction(filters.action);
    setSince(filters.since);
  }, [filters.actor, filters.action, filters.since]);

  const apiQuery = {
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.since ? { since: new Date(filters.since).toISOString() } : {}),
  };
  const list = usePagedList(
    (cursor) => page(client.audit.$get({ query: { ...apiQuery, ...(cursor ? { cursor } : {}) } })),
    JSON.stringify(apiQuery),
  );
  const csv = apiUrl(client.audit.$path({ query: { ...apiQuery, format: 'csv' } }));

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(`/audit${qs({ actor: actor.trim(), action: action.trim(), since })}`);
  };
  return (
    <Page
      title="Audit log"
      intro="Every change made through the API or this console: who, when, from where, and what."
      actions={
        <a class="button" href={csv} download>
          Export CSV
        </a>
      }
    >
      <form class="filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Who" id="audit-actor" hint="An email, or admin-token">
          <input id="audit-actor" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </Field>
        <Field label="Action" id="audit-action" hint="e.g. rules.published, or a group">
          <input
            id="audit-action"
            list="audit-groups"
            value={action}
            onInput={(e) => setAction(e.currentTarget.value)}
          />
          <datalist id="audit-groups">
            {GROUPS.map((g) => (
              <option key={g} value={`${g}.*`} />
            ))}
          </datalist>
        </Field>
        <Field label="Since" id="audit-since">
          <input
            id="audit-since"
            type="datetime-local"
            value={since}
            onInput={(e) => setSince(e.currentTarget.value)}
          />
        </Field>
        <button type="submit">Filter</button>
        {filters.actor || filters.action || filters.since ? (
          <button type="button" class="quiet" onClick={() => navigate('/audit')}>
            Clear
          </button>
        ) : null}
      </form>
      <DataTable
        caption="Audit log"
        columns={COLUMNS}
        rows={list.rows}
        error={list.error}
        rowKey={(r) => r.id}
        rowAttrs={(r) => ({ 'data-action': r.action })}
        empty="Nothing recorded matches."
        paging={list.paging}
      />
    </Page>
  );
}
