// The console's pages by route: each path's page from the features, and the main navigation.
import type { Role } from '../access.tsx';
import type { NodeInfo } from '../api.ts';
import { AuditLog } from '../features/audit/audit.tsx';
import { AcceptInvitation } from '../features/connections/accept.tsx';
import { ConnectionPage } from '../features/connections/connection.tsx';
import { Connections } from '../features/connections/connections.tsx';
import { InitiateConnection } from '../features/connections/initiate/wizard.tsx';
import { Dashboard } from '../features/dashboard/dashboard.tsx';
import { Entities } from '../features/entities/entities.tsx';
import { EntityPage } from '../features/entities/entity.tsx';
import { Settings } from '../features/node/settings.tsx';
import { Notifications } from '../features/notifications/notifications.tsx';
import { Tokens } from '../features/people/tokens.tsx';
import { Users } from '../features/people/users.tsx';
import { RunPage } from '../features/runs/run.tsx';
import { Runs } from '../features/runs/runs.tsx';
import { Errors } from '../features/sync/errors.tsx';
import { href, type Route } from '../router.ts';
import { GettingStarted } from './getting-started.tsx';

/** The main navigation: each section's path and label (also the document title), and who sees it. */
export const NAV: { path: string; label: string; role?: Role }[] = [
  { path: '/dashboard', label: 'Dashboard' },
  { path: '/getting-started', label: 'Getting started' },
  { path: '/settings', label: 'General settings' },
  { path: '/connections', label: 'Connections' },
  { path: '/entities', label: 'Entities' },
  { path: '/errors', label: 'Errors' },
  { path: '/runs', label: 'Runs' },
  { path: '/notifications', label: 'Notifications' },
  { path: '/audit', label: 'Audit log' },
  { path: '/users', label: 'Users', role: 'admin' },
  { path: '/tokens', label: 'API tokens' },
];

/** The page for a route: `#/connections/abc/rules` -> the connection page on its Rules tab. */
export function pageFor(route: Route, node: NodeInfo | undefined, reloadNode: () => Promise<void>) {
  const [first, second, third] = route.segments;
  switch (first) {
    case undefined:
    case 'dashboard':
      return <Dashboard />;
    case 'getting-started':
      return <GettingStarted node={node} />;
    case 'settings':
      return <Settings onSaved={reloadNode} />;
    case 'connections':
      if (!second) return <Connections />;
      if (second === 'initiate') return <InitiateConnection />;
      if (second === 'accept') return <AcceptInvitation node={node} />;
      return <ConnectionPage id={second} tab={third ?? 'rules'} query={route.query} />;
    case 'errors':
      return <Errors />;
    case 'runs':
      return second ? <RunPage id={second} /> : <Runs query={route.query} />;
    case 'notifications':
      return <Notifications />;
    case 'audit':
      return <AuditLog query={route.query} />;
    case 'users':
      return <Users />;
    case 'tokens':
      return <Tokens />;
    case 'entities':
      if (!second) return <Entities query={route.query} />;
      return <EntityPage id={second} />;
    default:
      return (
        <section class="page">
          <h1 id="page-title">Page not found</h1>
          <p>
            There is no page at <code>{route.path}</code>.{' '}
            <a href={href('/dashboard')}>Go to the Dashboard</a>.
          </p>
        </section>
      );
  }
}
