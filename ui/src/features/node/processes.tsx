// The processes of this node (one on SQLite; each `tandem start` on a shared PostgreSQL database) and the
// connections whose link and sync each one runs.
import { useEffect, useState } from 'preact/hooks';
import { client, json } from '../../api.ts';
import { Ago } from '../../components/ui.tsx';
import { href } from '../../router.ts';

interface NodeProcess {
  id: string;
  url: string;
  startedAt: string;
  lastSeenAt: string;
  connections: string[];
}

export function ProcessesSection({ processes }: { processes: NodeProcess[] }) {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    json(client.connections.$get({ query: { limit: '200' } })).then(
      (list) => setNames(Object.fromEntries(list.items.map((c) => [c.id, c.name]))),
      () => {},
    );
  }, []);
  return (
    <section class="card" aria-label="Processes">
      <h2>Processes</h2>
      <p class="muted">
        {processes.length === 1
          ? 'One process runs this node.'
          : `${processes.length} processes share this node's database; each connection runs in one of them.`}
      </p>
      <div class="table-wrap">
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Process</th>
              <th scope="col">Address</th>
              <th scope="col">Started</th>
              <th scope="col">Last seen</th>
              <th scope="col">Connections</th>
            </tr>
          </thead>
          <tbody>
            {processes.map((p) => (
              <tr key={p.id}>
                <td>
                  <code>{p.id.slice(0, 8)}</code>
                </td>
                <td>
                  <code>{p.url}</code>
                </td>
                <td>
                  <Ago at={p.startedAt} />
                </td>
                <td>
                  <Ago at={p.lastSeenAt} />
                </td>
                <td>
                  {p.connections.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    p.connections.map((id, i) => (
                      <span key={id}>
                        {i > 0 ? ', ' : ''}
                        <a href={href(`/connections/${id}`)}>{names[id] ?? id}</a>
                      </span>
                    ))
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
