// Connections list: state, link status and counts, refreshed every two seconds for live changes.
import { Can } from '../../access.tsx';
import { type Connection, client, json } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Page } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import { LinkBadge, ModeBadge, StateBadge } from './badges.tsx';

export const POLL_MS = 2000;

const COLUMNS: Column<Connection>[] = [
  {
    head: 'Name',
    cell: (c) => (
      <>
        <a href={href(`/connections/${c.id}`)}>{c.name}</a>
        <div class="muted small">
          {c.localName} ↔ {c.remoteName}
        </div>
      </>
    ),
  },
  { head: 'Mode', cell: (c) => <ModeBadge mode={c.mode} /> },
  { head: 'State', cell: (c) => <StateBadge state={c.state} /> },
  { head: 'Outbound', cell: (c) => <LinkBadge status={c.outbound} off={c.state === 'deactivated'} /> },
  { head: 'Inbound', cell: (c) => <LinkBadge status={c.inbound} off={c.state === 'deactivated'} /> },
  {
    head: 'Queue out / in',
    class: 'num',
    cell: (c) => (
      <>
        {c.counts?.queuedOut ?? 0} / {c.counts?.queuedIn ?? 0}
      </>
    ),
  },
  {
    head: 'Errors',
    class: 'num',
    cell: (c) =>
      c.counts?.errors ? (
        <a class="error-count" href={href(`/connections/${c.id}/errors`)}>
          {c.counts.errors}
        </a>
      ) : (
        0
      ),
  },
  {
    head: 'Partner',
    class: 'wrap',
    cell: (c) => c.peer?.name ?? c.peer?.url ?? <span class="muted">Not yet known</span>,
  },
];

export function Connections() {
  const list = useLoad(() => json(client.connections.$get({ query: {} })), 'connections', POLL_MS);
  return (
    <Page
      title="Connections"
      intro="A connection defines how this node syncs with one partner: communication details, sync rules and scope."
      actions={
        <Can need="admin">
          <a class="button primary" href={href('/connections/initiate')}>
            Initiate connection
          </a>
          <a class="button" href={href('/connections/accept')}>
            Accept invitation
          </a>
        </Can>
      }
    >
      <DataTable
        caption="Connections"
        columns={COLUMNS}
        rows={list.data?.items}
        error={list.error}
        rowKey={(c) => c.id}
        rowAttrs={(c) => ({ 'data-connection': c.id })}
        empty={
          <>
            You do not have any connection defined yet.{' '}
            <Can need="admin">
              <a href={href('/connections/initiate')}>Create a new connection</a>.
            </Can>
          </>
        }
        describedBy="conn-live"
        note={
          <p id="conn-live" class="muted small">
            Refreshes every {POLL_MS / 1000} seconds.
          </p>
        }
      />
    </Page>
  );
}
