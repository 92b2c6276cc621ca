// Sync queue: events waiting to go out to the partner, or received and waiting to be applied, each with its
// entity, kind and age; a failed one with its reason and a link to its error.
import { type Connection, client, enc, json, type QueueItem } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Ago } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href, qs } from '../../router.ts';

const KINDS: Record<string, string> = {
  upsert: 'Change',
  unlink: 'Stop syncing',
  twin: 'Twin id',
};

function EntityCell({ q }: { q: QueueItem }) {
  const ours = q.entityId;
  const label = [q.entityKey, q.entitySummary].filter(Boolean).join(' · ');
  return (
    <>
      {ours ? (
        <a href={href(`/entities/${ours}`)}>{label || ours}</a>
      ) : (
        <span class="muted">Not here yet</span>
      )}
      {q.direction === 'in' && q.remoteKey ? <div class="muted small">Partner's {q.remoteKey}</div> : null}
    </>
  );
}

function StatusCell({ q, connectionId }: { q: QueueItem; connectionId: string }) {
  if (q.direction === 'out') return <span class="badge tone-wait">Queued</span>;
  return (
    <>
      <span class={`badge ${q.status === 'failed' ? 'tone-bad' : 'tone-wait'}`}>
        {q.status === 'failed' ? 'Failed' : q.waitsFor ? 'Held' : 'Waiting'}
      </span>
      {q.reason ? <div class="queue-reason small">{q.reason}</div> : null}
      {q.errorId ? (
        <a class="small" href={href(`/connections/${connectionId}/errors${qs({ q: q.remoteId })}`)}>
          Open its error
        </a>
      ) : null}
    </>
  );
}

export function QueueTab({ connection, direction }: { connection: Connection; direction: string }) {
  const dir = direction === 'in' ? 'in' : 'out';
  const queue = useLoad(
    () =>
      json(
        client.connections[':id'].queue.$get({
          param: { id: enc(connection.id) },
          query: { direction: dir },
        }),
      ),
    `${connection.id}:${dir}`,
    2000,
  );
  const columns: Column<QueueItem>[] = [
    { head: 'Entity', class: 'wrap', cell: (q) => <EntityCell q={q} /> },
    { head: 'Event', cell: (q) => KINDS[q.kind] ?? q.kind },
    { head: 'Status', class: 'wrap', cell: (q) => <StatusCell q={q} connectionId={connection.id} /> },
    { head: 'Age', cell: (q) => <Ago at={q.queuedAt} /> },
    { head: 'Sequence', class: 'num', cell: (q) => String(q.seq) },
  ];
  return (
    <section aria-labelledby="queue-title">
      <div class="tab-head">
        <h2 id="queue-title">Sync queue</h2>
        <nav aria-label="Queue direction" class="segmented">
          <a
            href={href(`/connections/${connection.id}/queue?direction=out`)}
            aria-current={dir === 'out' ? 'page' : undefined}
          >
            Outgoing
          </a>
          <a
            href={href(`/connections/${connection.id}/queue?direction=in`)}
            aria-current={dir === 'in' ? 'page' : undefined}
          >
            Incoming
          </a>
        </nav>
      </div>
      <DataTable
        caption={`${dir === 'out' ? 'Outgoing' : 'Incoming'} queue`}
        columns={columns}
        rows={queue.data?.items}
        error={queue.error}
        rowKey={(q) => String(q.seq)}
        rowAttrs={(q) => ({ 'data-seq': String(q.seq) })}
        empty={dir === 'out' ? 'Nothing waiting to be sent.' : 'Nothing waiting to be applied.'}
      />
    </section>
  );
}
