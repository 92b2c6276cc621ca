// Users (admins only): who may sign in, with which role; add one, change a role or password, remove one.
import { useState } from 'preact/hooks';
import { useAccess } from '../../access.tsx';
import { client, enc, json, type User } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Field, issueFor, Page, Problem, When } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';

const ROLES = [
  { id: 'viewer', label: 'Viewer', hint: 'reads everything but secrets' },
  { id: 'rules', label: 'Rules', hint: 'also edits, tests and publishes rules and triggers, runs syncs' },
  { id: 'admin', label: 'Admin', hint: 'does everything: connections, invitations, users, settings' },
] as const;
type RoleId = (typeof ROLES)[number]['id'];

export function Users() {
  const users = useLoad(() => json(client.users.$get()), 'users');
  const me = useAccess();
  const action = useAction();
  const [confirm, setConfirm] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [newPassword, setNewPassword] = useState('');

  const setRole = async (u: User, role: RoleId) => {
    const r = await action.run(() =>
      json(client.users[':id'].$patch({ param: { id: enc(u.id) }, json: { role } })),
    );
    await users.reload();
    return r;
  };
  const remove = async (u: User) => {
    await action.run(() => client.users[':id'].$delete({ param: { id: enc(u.id) } }));
    setConfirm(null);
    await users.reload();
  };
  const reset = async (u: User) => {
    const r = await action.run(() =>
      json(client.users[':id'].$patch({ param: { id: enc(u.id) }, json: { password: newPassword } })),
    );
    if (r) {
      setResetting(null);
      setNewPassword('');
    }
  };

  const columns: Column<User>[] = [
    {
      head: 'User',
      cell: (u) => (
        <>
          <strong>{u.name}</strong>
          {u.id === me.user?.id ? <span class="muted small"> (you)</span> : null}
          <div class="muted small">{u.email}</div>
        </>
      ),
    },
    {
      head: 'Role',
      cell: (u) => (
        <select
          aria-label={`Role of ${u.email}`}
          value={u.role}
          disabled={action.busy}
          onChange={(e) => void setRole(u, e.currentTarget.value as RoleId)}
        >
          {ROLES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      ),
    },
    { head: 'Added', cell: (u) => <When at={u.createdAt} /> },
    {
      head: 'Actions',
      class: 'links',
      cell: (u) =>
        resetting === u.id ? (
          <span class="confirm">
            <input
              type="password"
              aria-label={`New password for ${u.email}`}
              autoComplete="new-password"
              minLength={10}
              value={newPassword}
              onInput={(e) => setNewPassword(e.currentTarget.value)}
            />
            <button
              type="button"
              onClick={() => void reset(u)}
              disabled={action.busy || newPassword.length < 10}
            >
              Set password
            </button>
            <button type="button" onClick={() => setResetting(null)}>
              Cancel
            </button>
          </span>
        ) : confirm === u.id ? (
          <span class="confirm">
            Remove {u.email}? Their sessions and API tokens stop working.{' '}
            <button type="button" class="danger" onClick={() => void remove(u)} disabled={action.busy}>
              Remove user
            </button>
            <button type="button" onClick={() => setConfirm(null)}>
              Keep
            </button>
          </span>
        ) : (
          <>
            <button type="button" class="quiet" onClick={() => setResetting(u.id)}>
              New password…
            </button>
            <button type="button" class="quiet" onClick={() => setConfirm(u.id)}>
              Remove…
            </button>
          </>
        ),
    },
  ];

  return (
    <Page
      title="Users"
      intro="People who sign in with an email and password. The admin token keeps working beside them; it is always an admin."
    >
      <Problem error={action.error} title="Not changed" />
      <DataTable
        caption="Users"
        columns={columns}
        rows={users.data?.items}
        error={users.error}
        rowKey={(u) => u.id}
        rowAttrs={(u) => ({ 'data-user': u.email })}
        empty="No users yet: everyone signs in with the admin token. Add people below."
      />
      <NewUser onAdded={users.reload} />
    </Page>
  );
}

function NewUser({ onAdded }: { onAdded: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<RoleId>('viewer');
  const [password, setPassword] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const action = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const u = await action.run(() =>
      json(client.users.$post({ json: { email: email.trim(), name: name.trim(), role, password } })),
    );
    if (!u) return;
    setAdded(u.email);
    setEmail('');
    setName('');
    setPassword('');
    await onAdded();
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a user</h2>
      <Field label="Email" id="user-email" required error={issueFor(action.error, 'email')}>
        <input
          id="user-email"
          type="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </Field>
      <Field label="Name" id="user-name" required error={issueFor(action.error, 'name')}>
        <input
          id="user-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field label="Role" id="user-role" hint={ROLES.find((r) => r.id === role)?.hint}>
        <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as RoleId)}>
          {ROLES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Password"
        id="user-password"
        required
        hint="At least 10 characters. Tell it to the person yourself: Tandem sends no email."
        error={issueFor(action.error, 'password')}
      >
        <input
          id="user-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <Problem error={action.error} title="Not added" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Adding…' : 'Add user'}
        </button>
        {added ? (
          <span class="saved" role="status">
            Added {added}
          </span>
        ) : null}
      </div>
    </form>
  );
}
