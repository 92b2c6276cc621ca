// The console frame: header with the node name, the navigation, and the page for the current route.
import { useEffect, useRef } from 'preact/hooks';
import { get, type NodeInfo } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { AcceptInvitation } from '../pages/accept.tsx';
import { ConnectionPage } from '../pages/connection.tsx';
import { Connections } from '../pages/connections.tsx';
import { Entities } from '../pages/entities.tsx';
import { EntityPage } from '../pages/entity.tsx';
import { Errors } from '../pages/errors.tsx';
import { GettingStarted } from '../pages/getting-started.tsx';
import { InitiateConnection } from '../pages/initiate.tsx';
import { Settings } from '../pages/settings.tsx';
import { href, type Route, useRoute } from '../router.ts';
import { session } from '../session.ts';

const NAV = [
  { path: '/getting-started', label: 'Getting started' },
  { path: '/settings', label: 'General settings' },
  { path: '/connections', label: 'Connections' },
  { path: '/entities', label: 'Entities' },
  { path: '/errors', label: 'Errors' },
];

function pageFor(route: Route, node: NodeInfo | undefined, reloadNode: () => Promise<void>) {
  const [first, second, third] = route.segments;
  switch (first) {
    case undefined:
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
    case 'entities':
      if (!second) return <Entities query={route.query} />;
      return <EntityPage id={second} />;
    default:
      return (
        <section class="page">
          <h1 id="page-title">Page not found</h1>
          <p>
            There is no page at <code>{route.path}</code>.{' '}
            <a href={href('/getting-started')}>Go to Getting started</a>.
          </p>
        </section>
      );
  }
}

export function Shell({ onSignedOut }: { onSignedOut: () => void }) {
  const route = useRoute();
  const node = useLoad(() => get<NodeInfo>('/api/node'), 'node');
  const section = `/${route.segments[0] ?? 'getting-started'}`;
  const firstRender = useRef(true);
  useEffect(() => {
    const title = NAV.find((n) => n.path === section)?.label;
    document.title = title ? `${title} · Tandem` : 'Tandem';
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [route.path, section]);
  const signOut = async () => {
    try {
      await session.signOut();
    } finally {
      onSignedOut();
    }
  };
  return (
    <div class="shell">
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href={href('/getting-started')}>
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Tandem</span>
        </a>
        <span class="node-name" title={node.data?.nodeId}>
          {node.data?.name ?? ''}
        </span>
        <button type="button" class="link-button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav class="sidenav" aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.path}>
              <a href={href(n.path)} aria-current={section === n.path ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {pageFor(route, node.data, node.reload)}
      </main>
      <footer class="footer">
        Tandem {node.data?.version ?? ''} · <a href="/.well-known/tandem">Node document</a>
      </footer>
    </div>
  );
}
