// Connections list: state, link status and counts, refreshed every two seconds for live changes.
import { type Connection, get, type List } from '../api.ts';
import { Empty, LinkBadge, Loading, ModeBadge, Page, Problem, StateBadge } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { href } from '../router.ts';

export const POLL_MS = 2000;

export function Connections() {
  const list = useLoad(() => get<List<Connection>>('/api/connections'), 'connections', POLL_MS);
  const items = list.data?.items ?? [];
  return (
    <Page
      title="Connections"
      intro="A connection defines how this node syncs with one partner: communication details, sync rules and scope."
      actions={
        <>
          <a class="button primary" href={href('/connections/initiate')}>
            Initiate connection
          </a>
          <a class="button" href={href('/connections/accept')}>
            Accept invitation
          </a>
        </>
      }
    >
      <Problem error={list.error} />
      {list.loading && !list.data ? (
        <Loading />
      ) : !list.data ? null : items.length === 0 ? (
        <Empty>
          You do not have any connection defined yet.{' '}
          <a href={href('/connections/initiate')}>Create a new connection</a>.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="data" aria-describedby="conn-live">
            <caption class="sr-only">Connections</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">State</th>
                <th scope="col">Outbound</th>
                <th scope="col">Inbound</th>
                <th scope="col">Queue out / in</th>
                <th scope="col">Errors</th>
                <th scope="col">Partner</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-connection={c.id}>
                  <td>
                    <a href={href(`/connections/${c.id}`)}>{c.name}</a>
                    <div class="muted small">
                      {c.localName} ↔ {c.remoteName}
                    </div>
                  </td>
                  <td>
                    <ModeBadge mode={c.mode} />
                  </td>
                  <td>
                    <StateBadge state={c.state} />
                  </td>
                  <td>
                    <LinkBadge status={c.outbound} />
                  </td>
                  <td>
                    <LinkBadge status={c.inbound} />
                  </td>
                  <td class="num">
                    {c.counts?.queuedOut ?? 0} / {c.counts?.queuedIn ?? 0}
                  </td>
                  <td class="num">
                    {c.counts?.errors ? (
                      <a class="error-count" href={href(`/connections/${c.id}/errors`)}>
                        {c.counts.errors}
                      </a>
                    ) : (
                      0
                    )}
                  </td>
                  <td class="wrap">
                    {c.peer?.name ?? c.peer?.url ?? <span class="muted">Not yet known</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p id="conn-live" class="muted small">
            Refreshes every {POLL_MS / 1000} seconds.
          </p>
        </div>
      )}
    </Page>
  );
}
