// Entry point: checks the session, then renders the console shell and the page for the current route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { UNAUTHORIZED_EVENT } from './api.ts';
import { session } from './session.ts';
import { Shell } from './shell/shell.tsx';
import { SignIn } from './shell/sign-in.tsx';

function App() {
  const [auth, setAuth] = useState<'unknown' | 'in' | 'out'>('unknown');
  useEffect(() => {
    session.check().then(
      (ok) => setAuth(ok ? 'in' : 'out'),
      () => setAuth('out'),
    );
    const onUnauthorized = () => setAuth('out');
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);
  if (auth === 'unknown') return <p class="boot">Loading Tandem…</p>;
  if (auth === 'out') return <SignIn onSignedIn={() => setAuth('in')} />;
  return <Shell onSignedOut={() => setAuth('out')} />;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
