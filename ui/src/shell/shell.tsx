// The console frame: header with the node name, who is signed in and Sign out, the navigation the role may use, the page, the footer.
import { useEffect, useRef } from 'preact/hooks';
import { useAccess, useCan } from '../access.tsx';
import { client, json } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { href, useRoute } from '../router.ts';
import { session } from '../session.ts';
import { NAV, pageFor } from './routes.tsx';

export function Shell({ onSignedOut }: { onSignedOut: () => void }) {
  const route = useRoute();
  const access = useAccess();
  const can = useCan();
  const node = useLoad(() => json(client.node.$get()), 'node');
  const section = `/${route.segments[0] ?? 'dashboard'}`;
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
        <a class="brand" href={href('/dashboard')}>
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Tandem</span>
        </a>
        <span class="node-name" title={node.data?.nodeId}>
          {node.data?.name ?? ''}
        </span>
        <span class="signed-in" data-testid="signed-in">
          {access.actor === 'admin-token' ? 'Admin token' : access.actor}{' '}
          <span class={`role-badge role-${access.role}`}>{access.role}</span>
        </span>
        <button type="button" class="link-button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav class="sidenav" aria-label="Main">
        <ul>
          {NAV.filter((n) => !n.role || can(n.role)).map((n) => (
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
