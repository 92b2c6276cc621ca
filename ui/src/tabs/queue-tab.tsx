// Sync queue: events waiting to go out to the partner, or received and waiting to be applied.
import { type Connection, enc, get, type List } from '../api.ts';
import { Empty, Json, Loading, Problem, When } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { href } from '../router.ts';

type QueueItem = Record<string, unknown> & { id?: string | number; seq?: number; entityId?: string };

export function QueueTab({ connection, direction }: { connection: Connection; direction: string }) {
  const dir = direction === 'in' ? 'in' : 'out';
  const queue = useLoad(
    () => get<List<QueueItem>>(`/api/connections/${enc(connection.id)}/queue?direction=${dir}`),
    `${connection.id}:${dir}`,
    2000,
  );
  const items = queue.data?.items ?? [];
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
      <Problem error={queue.error} />
      {!queue.data ? (
        queue.error ? null : (
          <Loading />
        )
      ) : items.length === 0 ? (
        <Empty>{dir === 'out' ? 'Nothing waiting to be sent.' : 'Nothing waiting to be applied.'}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <caption class="sr-only">{dir === 'out' ? 'Outgoing' : 'Incoming'} queue</caption>
            <thead>
              <tr>
                <th scope="col">Sequence</th>
                <th scope="col">Entity</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Queued</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((q, i) => (
                <tr key={String(q.id ?? q.seq ?? i)}>
                  <td class="num">{String(q.seq ?? q.id ?? '')}</td>
                  <td>
                    {q.entityId ? (
                      <a href={href(`/entities/${q.entityId}`)}>{String(q.entityKey ?? q.entityId)}</a>
                    ) : (
                      String(q.remoteId ?? '—')
                    )}
                  </td>
                  <td>{String(q.kind ?? q.type ?? '')}</td>
                  <td>{String(q.status ?? 'queued')}</td>
                  <td>
                    <When at={(q.createdAt ?? q.queuedAt ?? q.receivedAt) as string | undefined} />
                  </td>
                  <td>
                    <details>
                      <summary>Show</summary>
                      <Json value={q} label="Queue event" />
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
