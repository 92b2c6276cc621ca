// Sign in with the admin token the host printed on its first start (or TANDEM_ADMIN_TOKEN).
import { useState } from 'preact/hooks';
import { Field, Problem } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { session } from '../session.ts';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await session.signIn(token.trim());
      return true;
    });
    if (ok) onSignedIn();
  };
  return (
    <main class="sign-in" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div class="brand">
          <img src="/favicon.svg" alt="" width={32} height={32} />
          <span>Tandem</span>
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        <p class="intro">Enter the admin token this host printed when it first started.</p>
        <Field label="Admin token" id="token">
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </Field>
        <Problem error={action.error} title="Sign-in failed" />
        <button type="submit" class="primary" disabled={action.busy || !token.trim()}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
