// Sync queue: events waiting to go out to the partner, or received and waiting to be applied.
import { type Connection, client, enc, json, type QueueItem } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Json, When } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';

// An outgoing event names the local entity; an incoming one the partner's record, and whether applying it failed.
const COLUMNS: Column<QueueItem>[] = [
  { head: 'Sequence', class: 'num', cell: (q) => String(q.seq) },
  {
    head: 'Entity',
    cell: (q) =>
      q.direction === 'out' ? <a href={href(`/entities/${q.entityId}`)}>{q.entityId}</a> : q.remoteId,
  },
  { head: 'Kind', cell: (q) => q.kind },
  { head: 'Status', cell: (q) => (q.direction === 'out' ? 'queued' : q.status) },
  { head: 'Queued', cell: (q) => <When at={q.queuedAt} /> },
  {
    head: 'Details',
    cell: (q) => (
      <details>
        <summary>Show</summary>
        <Json value={q} label="Queue event" />
      </details>
    ),
  },
];

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
        columns={COLUMNS}
        rows={queue.data?.items}
        error={queue.error}
        rowKey={(q) => String(q.seq)}
        empty={dir === 'out' ? 'Nothing waiting to be sent.' : 'Nothing waiting to be applied.'}
      />
    </section>
  );
}
