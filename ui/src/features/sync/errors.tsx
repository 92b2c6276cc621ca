// Every sync error of this node across its connections, with Retry and Resolve.
import { client, json } from '../../api.ts';
import { Page } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { ErrorsTab } from './errors-tab.tsx';

export function Errors() {
  const conns = useLoad(() => json(client.connections.$get({ query: {} })), 'connections');
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
  return (
    <Page
      title="Errors"
      intro="What could not be synced, here and at partners, on every connection. Retry replays from the failed change; Resolve skips it. Errors at a partner are handled on the partner's host."
    >
      <ErrorsTab names={names} />
    </Page>
  );
}
