// Entities of the built-in tracker: filter by type, search, page through, create a new one.

import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { client, type Entity, json } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Page, When } from '../../components/ui.tsx';
import { usePagedList } from '../../hooks.ts';
import { href, navigate, qs } from '../../router.ts';
import { entityTypeOf, TypeOptions, typeLabel } from './entity-fields.tsx';
import { NewEntity } from './new-entity.tsx';

const COLUMNS: Column<Entity>[] = [
  { head: 'Key', cell: (e) => <a href={href(`/entities/${e.id}`)}>{e.key}</a> },
  { head: 'Type', cell: (e) => typeLabel(e.type) },
  { head: 'Summary', class: 'wrap', cell: (e) => String(e.fields.summary ?? '') },
  { head: 'Status', cell: (e) => String(e.fields.status ?? '') },
  { head: 'Priority', cell: (e) => e.fields.priority ?? '' },
  { head: 'Updated', cell: (e) => <When at={e.updatedAt} /> },
];

export function Entities({ query }: { query: URLSearchParams }) {
  const type = query.get('type') ?? '';
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const [creating, setCreating] = useState(false);
  const list = usePagedList(
    (cursor) =>
      json(
        client.entities.$get({ query: { type: entityTypeOf(type), q: q || undefined, limit: 50, cursor } }),
      ),
    `${type}|${q}`,
  );
  const go = (t: string, s: string) => navigate(`/entities${qs({ type: t, q: s.trim() })}`);

  return (
    <Page
      title="Entities"
      intro="Work items in this host's built-in tracker."
      actions={
        <Can need="admin">
          <button type="button" class="primary" onClick={() => setCreating(true)} disabled={creating}>
            New entity
          </button>
        </Can>
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
            <TypeOptions />
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
      <DataTable
        caption="Entities"
        columns={COLUMNS}
        rows={list.rows}
        error={list.error}
        rowKey={(e) => e.id}
        empty={q || type ? 'No entity matches this filter.' : 'There are no entities yet.'}
        paging={list.paging}
      />
    </Page>
  );
}
