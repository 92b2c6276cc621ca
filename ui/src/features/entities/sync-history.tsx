// An entity's sync history: each change sent or received on each connection, with its outcome and when.
import { client, enc, type HistoryItem, json } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { When } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href, qs } from '../../router.ts';
import { Badge, OUTCOME } from '../sync/outcome-labels.tsx';

/** Events the section shows, newest first. */
const LATEST = 50;

const ACTIONS: Record<string, string> = {
  created: 'created',
  updated: 'updated',
  unchanged: 'no change',
  unlinked: 'unlinked',
  refused: 'refused',
};

export function SyncHistory(props: { entityId: string; names: Map<string, string>; pollMs: number }) {
  const history = useLoad(
    () =>
      json(
        client.entities[':id'].history.$get({
          param: { id: enc(props.entityId) },
          query: { limit: String(LATEST) },
        }),
      ),
    props.entityId,
    props.pollMs,
  );
  const columns: Column<HistoryItem>[] = [
    { head: 'When', cell: (h) => <When at={h.queuedAt} /> },
    {
      head: 'Connection',
      cell: (h) => (
        <a href={href(`/connections/${h.connectionId}`)}>
          {props.names.get(h.connectionId) ?? h.connectionId}
        </a>
      ),
    },
    { head: 'Way', cell: (h) => (h.direction === 'out' ? 'Sent' : 'Received') },
    {
      head: 'Outcome',
      class: 'wrap',
      cell: (h) => (
        <>
          <Badge of={OUTCOME[h.outcome]} data={{ 'data-outcome': h.outcome }} />{' '}
          {h.action ? <span class="muted small">{ACTIONS[h.action] ?? h.action}</span> : null}
          {h.direction === 'out' && h.outcome !== 'pending' ? (
            <span class="muted small"> at the partner</span>
          ) : null}
          {h.message ? <div class="small">{h.message}</div> : null}
          {h.errorId && h.outcome === 'failed' ? (
            <a class="small" href={href(`/connections/${h.connectionId}/errors${qs({ q: props.entityId })}`)}>
              Open its error
            </a>
          ) : null}
        </>
      ),
    },
    { head: 'Outcome at', cell: (h) => <When at={h.outcomeAt} /> },
    {
      head: 'Run',
      cell: (h) => (h.runId ? <a href={href(`/runs/${h.runId}`)}>Run</a> : <span class="muted">—</span>),
    },
  ];
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Sync history</h2>
      <DataTable
        caption="Sync history"
        columns={columns}
        rows={history.data?.items}
        error={history.error}
        rowKey={(h) => `${h.connectionId}/${h.direction}/${h.seq}`}
        rowAttrs={(h) => ({ 'data-direction': h.direction, 'data-outcome': h.outcome })}
        empty="No change of this entity was sent or received yet."
        note={
          'nextCursor' in (history.data ?? {}) ? (
            <p class="hint">The latest {LATEST} are shown.</p>
          ) : undefined
        }
      />
    </section>
  );
}
