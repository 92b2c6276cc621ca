// Sign in with an email and password, or with the admin token this host printed on its first start.
import { useState } from 'preact/hooks';
import { Field, Problem } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { type SessionState, session } from '../session.ts';

export function SignIn({ onSignedIn }: { onSignedIn: (state: SessionState) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const action = useAction();
  const withToken = token.trim() !== '';
  const ready = withToken || (email.trim() !== '' && password !== '');
  const submit = async (e: Event) => {
    e.preventDefault();
    const state = await action.run(() =>
      withToken ? session.signIn(token.trim()) : session.signInWithPassword(email.trim(), password),
    );
    if (state) onSignedIn(state);
  };
  return (
    <main class="sign-in" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div class="brand">
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <span>Tandem</span>
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        <fieldset class="sign-in-way">
          <legend>With your account</legend>
          <Field label="Email" id="email">
            <input
              id="email"
              name="email"
              type="email"
              autoComplete="username"
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </Field>
          <Field label="Password" id="password">
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </Field>
        </fieldset>
        <fieldset class="sign-in-way">
          <legend>Or with the admin token</legend>
          <p class="hint">The token this host printed when it first started (or TANDEM_ADMIN_TOKEN).</p>
          <Field label="Admin token" id="token">
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="off"
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </Field>
        </fieldset>
        <Problem error={action.error} title="Sign-in failed" />
        <button type="submit" class="primary" disabled={action.busy || !ready}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
