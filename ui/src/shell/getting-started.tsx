// First steps for an admin: name the node, connect to a partner, write rules, choose what syncs.
import { Can } from '../access.tsx';
import type { NodeInfo } from '../api.ts';
import { Page } from '../components/ui.tsx';
import { href } from '../router.ts';

export function GettingStarted({ node }: { node: NodeInfo | undefined }) {
  return (
    <Page
      title="Getting started"
      intro="Tandem keeps work items in two-way sync with a partner that runs its own Tandem host."
    >
      <ol class="steps">
        <li>
          <h2>Name this node</h2>
          <p>
            Your partner sees this node as <strong>{node?.name ?? '…'}</strong>
            {node?.publicUrl ? (
              <>
                {' '}
                at <code>{node.publicUrl}</code>
              </>
            ) : (
              ' and it has no public URL yet (the other side can still dial you if it is reachable)'
            )}
            . <a href={href('/settings')}>Open General settings</a>
          </p>
        </li>
        <li>
          <h2>Connect to a partner</h2>
          <p>
            One side initiates a connection and copies an invitation code; the other side accepts it. It does
            not matter which side starts.
          </p>
          <Can need="admin" otherwise={<p class="muted">An admin of this host sets up connections.</p>}>
            <p class="actions-inline">
              <a class="button primary" href={href('/connections/initiate')}>
                Initiate connection
              </a>
              <a class="button" href={href('/connections/accept')}>
                Accept invitation
              </a>
            </p>
          </Can>
        </li>
        <li>
          <h2>Decide what each side sends and receives</h2>
          <p>
            Every connection has a mode, fixed for its life: <strong>Basic</strong> (a fixed mapping),{' '}
            <strong>Visual</strong> (field and value mappings edited in one place) or <strong>Script</strong>{' '}
            (your own outgoing and incoming JavaScript). Open a connection and edit its <em>Rules</em>.
          </p>
        </li>
        <li>
          <h2>Choose what syncs</h2>
          <p>
            Add a <em>Trigger</em> (for example <code>type = "incident" AND priority &lt;= 2</code>) or start
            a bulk sync. Watch <a href={href('/connections')}>Connections</a> for the queue and any errors.
          </p>
        </li>
      </ol>
    </Page>
  );
}
