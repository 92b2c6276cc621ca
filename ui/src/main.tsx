// Entry point: checks the session, then renders the console shell (with who is signed in) and the page for the route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AccessContext } from './access.tsx';
import { UNAUTHORIZED_EVENT } from './api.ts';
import { type SessionState, session } from './session.ts';
import { Shell } from './shell/shell.tsx';
import { SignIn } from './shell/sign-in.tsx';

function App() {
  const [auth, setAuth] = useState<SessionState | 'unknown'>('unknown');
  useEffect(() => {
    session.check().then(setAuth, () => setAuth({ authenticated: false }));
    const onUnauthorized = () => setAuth({ authenticated: false });
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);
  if (auth === 'unknown') return <p class="boot">Loading Tandem…</p>;
  if (!auth.authenticated) return <SignIn onSignedIn={setAuth} />;
  return (
    <AccessContext.Provider value={auth}>
      <Shell onSignedOut={() => setAuth({ authenticated: false })} />
    </AccessContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
