// Your personal API tokens (every role): make one (shown once), see when each was last used, revoke one; your password.
import { useState } from 'preact/hooks';
import { useAccess } from '../../access.tsx';
import { type ApiToken, client, enc, json, type NewApiToken } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Ago, Field, issueFor, Page, Problem, When } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';

export function Tokens() {
  const tokens = useLoad(() => json(client.tokens.$get()), 'tokens');
  const me = useAccess();
  const [name, setName] = useState('');
  const [made, setMade] = useState<NewApiToken | null>(null);
  const make = useAction();
  const revoke = useAction();

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = await make.run(() => json(client.tokens.$post({ json: { name: name.trim() } })));
    if (!t) return;
    setMade(t);
    setName('');
    await tokens.reload();
  };
  const columns: Column<ApiToken>[] = [
    { head: 'Name', cell: (t) => t.name },
    { head: 'Created', cell: (t) => <When at={t.createdAt} /> },
    { head: 'Last used', cell: (t) => <Ago at={t.lastUsedAt} fallback="Never" /> },
    {
      head: 'Actions',
      class: 'links',
      cell: (t) => (
        <button
          type="button"
          class="quiet"
          disabled={revoke.busy}
          onClick={() =>
            void revoke
              .run(() => client.tokens[':id'].$delete({ param: { id: enc(t.id) } }))
              .then(() => tokens.reload())
          }
        >
          Revoke {t.name}
        </button>
      ),
    },
  ];
  return (
    <Page
      title="API tokens"
      intro={`Tokens for scripts and tools: each acts as you (${me.actor}), with your role (${me.role}), until you revoke it.`}
    >
      <Problem error={revoke.error} title="Not revoked" />
      <DataTable
        caption="Your API tokens"
        columns={columns}
        rows={tokens.data?.items}
        error={tokens.error}
        rowKey={(t) => t.id}
        rowAttrs={(t) => ({ 'data-token': t.name })}
        empty="You have no API tokens."
      />
      <form class="card form" onSubmit={submit} aria-labelledby="new-token-title">
        <h2 id="new-token-title">Make a token</h2>
        <Field
          label="Token name"
          id="token-name"
          required
          hint="What it is for, e.g. ci-export"
          error={issueFor(make.error, 'name')}
        >
          <input
            id="token-name"
            required
            maxLength={100}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <Problem error={make.error} title="No token made" />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={make.busy || !name.trim()}>
            Create token
          </button>
        </div>
        {made ? (
          <div class="notice" role="status" data-testid="new-token">
            <p>
              <strong>{made.name}</strong>: copy it now, it is not shown again. Send it as{' '}
              <code>Authorization: Bearer …</code>.
            </p>
            <code class="token-once">{made.token}</code>
          </div>
        ) : null}
      </form>
      {me.user ? <ChangePassword /> : null}
    </Page>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await client.account.password.$post({ json: { currentPassword: current, newPassword: next } });
      return true;
    });
    // Every session of the user ends with the old password: the console asks to sign in again.
    if (ok) window.location.reload();
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Change your password</h2>
      <Field label="Current password" id="current-password" error={issueFor(action.error, 'currentPassword')}>
        <input
          id="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
      </Field>
      <Field
        label="New password"
        id="new-password"
        hint="At least 10 characters; you sign in again after."
        error={issueFor(action.error, 'newPassword')}
      >
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
      </Field>
      <Problem error={action.error} title="Not changed" />
      <div class="form-actions">
        <button type="submit" disabled={action.busy}>
          Change password
        </button>
      </div>
    </form>
  );
}
