// One connection: its state and link status, lifecycle actions, and the Rules/Triggers/Health/Queue/Errors/History/Activity tabs.
import { type Connection, client, enc, json } from '../../api.ts';
import { Page, WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import { ActivityTab } from '../activity/activity-tab.tsx';
import { RulesTab } from '../rules/rules-tab.tsx';
import { ErrorsTab } from '../sync/errors-tab.tsx';
import { HistoryTab } from '../sync/history-tab.tsx';
import { QueueTab } from '../sync/queue-tab.tsx';
import { TriggersTab } from '../sync/triggers-tab.tsx';
import { POLL_MS } from './connections.tsx';
import { HealthTab } from './health-tab.tsx';
import { Summary } from './summary.tsx';

const TABS = [
  { id: 'rules', label: 'Rules' },
  { id: 'triggers', label: 'Triggers' },
  { id: 'health', label: 'Health' },
  { id: 'queue', label: 'Queue' },
  { id: 'errors', label: 'Errors' },
  { id: 'history', label: 'History' },
  { id: 'activity', label: 'Activity' },
] as const;

export function ConnectionPage({ id, tab, query }: { id: string; tab: string; query: URLSearchParams }) {
  const conn = useLoad(() => json(client.connections[':id'].$get({ param: { id: enc(id) } })), id, POLL_MS);
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];
  return (
    <Page
      title={conn.data ? conn.data.name : 'Connection'}
      intro={conn.data?.description || undefined}
      actions={<a href={href('/connections')}>All connections</a>}
    >
      <WhenLoaded data={conn.data} error={conn.error}>
        {(c) => (
          <>
            <Summary connection={c} onChanged={conn.reload} />
            <nav class="tabs" aria-label="Connection sections">
              <ul>
                {TABS.map((t) => (
                  <li key={t.id}>
                    <a
                      href={href(`/connections/${c.id}/${t.id}`)}
                      aria-current={current.id === t.id ? 'page' : undefined}
                    >
                      {t.label}
                      {t.id === 'errors' && c.counts?.errors ? (
                        <span class="count">
                          {c.counts.errors}
                          <span class="sr-only"> open</span>
                        </span>
                      ) : null}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="tab-panel">
              <TabPanel tab={current.id} connection={c} query={query} onChanged={conn.reload} />
            </div>
          </>
        )}
      </WhenLoaded>
    </Page>
  );
}

function TabPanel(props: {
  tab: (typeof TABS)[number]['id'];
  connection: Connection;
  query: URLSearchParams;
  onChanged: () => Promise<void>;
}) {
  const c = props.connection;
  switch (props.tab) {
    case 'rules':
      return <RulesTab connection={c} />;
    case 'triggers':
      return <TriggersTab connection={c} />;
    case 'health':
      return <HealthTab connection={c} onChanged={props.onChanged} />;
    case 'queue':
      return <QueueTab connection={c} direction={props.query.get('direction') ?? 'out'} />;
    case 'errors':
      return <ErrorsTab connection={c} onChanged={props.onChanged} />;
    case 'history':
      return <HistoryTab connection={c} />;
    case 'activity':
      return <ActivityTab connection={c} range={props.query.get('range')} />;
  }
}
