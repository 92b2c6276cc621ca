// The Errors list's filter: connection (node-wide), status, level, side and text, kept in the page's URL.
import { useState } from 'preact/hooks';
import type { SyncError } from '../../api.ts';

/** What the list shows, as `GET /api/errors` and retry all / resolve all take it. */
export interface ErrorFilter {
  connectionId?: string | undefined;
  status: 'open' | 'resolved';
  level?: SyncError['level'] | undefined;
  side?: SyncError['side'] | undefined;
  q?: string | undefined;
}

const LEVELS = ['entity', 'connection', 'node'] as const;
const pick = <T extends string>(v: string | null, of: readonly T[]): T | undefined =>
  of.includes(v as T) ? (v as T) : undefined;

/** The filter a page's query string says; `connectionId` fixed on a connection's tab. */
export function filterOf(query: URLSearchParams, connectionId: string | undefined): ErrorFilter {
  return {
    connectionId: connectionId ?? (query.get('connection') || undefined),
    status: query.get('status') === 'resolved' ? 'resolved' : 'open',
    level: pick(query.get('level'), LEVELS),
    side: pick(query.get('side'), ['here', 'peer'] as const),
    q: query.get('q') || undefined,
  };
}

/** The page query string of a filter (the connection only node-wide). */
export function queryOf(f: ErrorFilter, fixedConnection: boolean) {
  return {
    connection: fixedConnection ? undefined : f.connectionId,
    status: f.status,
    level: f.level,
    side: f.side,
    q: f.q,
  };
}

export function ErrorFilters(props: {
  filter: ErrorFilter;
  /** Connections to choose from, node-wide; none on a connection's tab. */
  names?: Map<string, string> | undefined;
  onChange: (f: ErrorFilter) => void;
}) {
  const { filter: f, names, onChange } = props;
  const [text, setText] = useState(f.q ?? '');
  return (
    <form
      class="filters"
      aria-label="Filter errors"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...f, q: text.trim() || undefined });
      }}
    >
      {names ? (
        <div class="field inline">
          <label for="error-connection">Connection</label>
          <select
            id="error-connection"
            value={f.connectionId ?? ''}
            onChange={(e) => onChange({ ...f, connectionId: e.currentTarget.value || undefined })}
          >
            <option value="">All connections</option>
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div class="field inline">
        <label for="error-status">Show</label>
        <select
          id="error-status"
          value={f.status}
          onChange={(e) =>
            onChange({ ...f, status: e.currentTarget.value === 'resolved' ? 'resolved' : 'open' })
          }
        >
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
        </select>
      </div>
      <div class="field inline">
        <label for="error-level">Level</label>
        <select
          id="error-level"
          value={f.level ?? ''}
          onChange={(e) => onChange({ ...f, level: pick(e.currentTarget.value, LEVELS) })}
        >
          <option value="">All levels</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <div class="field inline">
        <label for="error-side">Where</label>
        <select
          id="error-side"
          value={f.side ?? ''}
          onChange={(e) => onChange({ ...f, side: pick(e.currentTarget.value, ['here', 'peer'] as const) })}
        >
          <option value="">Here and at partner</option>
          <option value="here">Here</option>
          <option value="peer">At partner</option>
        </select>
      </div>
      <div class="field inline grow">
        <label for="error-q">Search</label>
        <input
          id="error-q"
          type="search"
          placeholder="Message, or a record's key on either side"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </div>
      <button type="submit">Filter</button>
    </form>
  );
}
