// Sync queue: events waiting to go out to the partner, or received and waiting to be applied.
import { type Connection, enc, get, type List } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Json, When } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';

type QueueItem = Record<string, unknown> & { id?: string | number; seq?: number; entityId?: string };

const COLUMNS: Column<QueueItem>[] = [
  { head: 'Sequence', class: 'num', cell: (q) => String(q.seq ?? q.id ?? '') },
  {
    head: 'Entity',
    cell: (q) =>
      q.entityId ? (
        <a href={href(`/entities/${q.entityId}`)}>{String(q.entityKey ?? q.entityId)}</a>
      ) : (
        String(q.remoteId ?? '—')
      ),
  },
  { head: 'Kind', cell: (q) => String(q.kind ?? q.type ?? '') },
  { head: 'Status', cell: (q) => String(q.status ?? 'queued') },
  {
    head: 'Queued',
    cell: (q) => <When at={(q.createdAt ?? q.queuedAt ?? q.receivedAt) as string | undefined} />,
  },
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
    () => get<List<QueueItem>>(`/api/connections/${enc(connection.id)}/queue?direction=${dir}`),
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
        rowKey={(q, i) => String(q.id ?? q.seq ?? i)}
        empty={dir === 'out' ? 'Nothing waiting to be sent.' : 'Nothing waiting to be applied.'}
      />
    </section>
  );
}
