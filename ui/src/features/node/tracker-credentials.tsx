// The tracker's credentials form (admins): each credential it takes, where its value comes from, new values typed in
// password fields that are never filled in; values are stored encrypted and never shown again.
import { useState } from 'preact/hooks';
import { client, json } from '../../api.ts';
import { Field, issueFor, Problem, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';

type View = Awaited<ReturnType<typeof loadCredentials>>;
type Credential = View['credentials'][number];

const loadCredentials = () => json(client.tracker.credentials.$get());

/** What the field says about the value in use, beside the input. */
function stateOf(c: Credential): string {
  if (c.source === 'console') return 'Entered here (stored encrypted)';
  return c.stored ? 'Stored, but not in use' : 'Not set';
}

/** One credential set in the environment: shown, not editable here (the variable wins). */
function FromEnvironment({ c }: { c: Credential }) {
  return (
    <div class="field" data-credential={c.name}>
      <span class="label">{c.label}</span>
      <p class="readonly" data-source="environment">
        Set from the environment (<code>{c.name}</code>)
        {c.stored ? '; the value entered here is not used while it is set' : ''}. Change it there.
      </p>
    </div>
  );
}

export function TrackerCredentials({ onSaved }: { onSaved: () => Promise<void> }) {
  const creds = useLoad(loadCredentials, 'tracker-credentials');
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState('');
  const action = useAction();

  /** What a save or a forget did, said plainly: in use now, or after a restart. */
  const after = async (view: View | undefined, what: 'saved' | 'forgotten') => {
    if (!view) return;
    creds.setData(view);
    setTyped({});
    const messages = {
      saved: view.live
        ? 'Saved: the tracker uses them now.'
        : 'Saved: restart the host for the tracker to use them.',
      forgotten: view.live
        ? 'Forgotten: the tracker no longer has them.'
        : 'Forgotten: the tracker keeps them until the host restarts.',
    };
    setSaved(messages[what]);
    await onSaved();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved('');
    const values = Object.fromEntries(Object.entries(typed).filter(([, v]) => v !== ''));
    await after(await action.run(() => json(client.tracker.credentials.$put({ json: { values } }))), 'saved');
  };
  const forget = async () => {
    setSaved('');
    await after(await action.run(() => json(client.tracker.credentials.$delete())), 'forgotten');
  };

  return (
    <WhenLoaded data={creds.data} error={creds.error}>
      {(view) =>
        view.credentials.length === 0 ? null : (
          <form class="card form" aria-labelledby="tracker-credentials-title" onSubmit={submit}>
            <h3 id="tracker-credentials-title">Credentials</h3>
            <p class="intro">
              Entered here, they are stored encrypted with this host's secret key and never shown again. A
              variable set in the environment wins over a value entered here.
            </p>
            {view.unreadable ? (
              <p class="notice" role="status">
                The stored credentials were saved under another secret key and cannot be read: enter them
                again.
              </p>
            ) : null}
            {view.restartRequired ? (
              <p class="notice" role="status">
                Credentials were saved since the host started: they take effect when it restarts.
              </p>
            ) : null}
            {view.credentials.map((c) =>
              c.source === 'environment' ? (
                <FromEnvironment key={c.name} c={c} />
              ) : (
                <Field
                  key={c.name}
                  label={c.label}
                  id={`credential-${c.name}`}
                  hint={
                    <>
                      <span data-state>{stateOf(c)}</span> · <code>{c.name}</code>
                      {c.hint ? ` · ${c.hint}` : ''}
                    </>
                  }
                  error={issueFor(action.error, c.name)}
                >
                  <input
                    id={`credential-${c.name}`}
                    type={c.secret ? 'password' : 'text'}
                    autoComplete={c.secret ? 'new-password' : 'off'}
                    spellcheck={false}
                    placeholder={c.source === 'console' ? 'Type to replace' : ''}
                    value={typed[c.name] ?? ''}
                    onInput={(e) => {
                      setSaved('');
                      setTyped({ ...typed, [c.name]: e.currentTarget.value });
                    }}
                  />
                </Field>
              ),
            )}
            <Problem error={action.error} title="Not saved" />
            <div class="form-actions">
              <button
                type="submit"
                class="primary"
                disabled={action.busy || Object.values(typed).every((v) => v === '')}
              >
                {action.busy ? 'Saving…' : 'Save credentials'}
              </button>
              {view.credentials.some((c) => c.stored) ? (
                <button type="button" disabled={action.busy} onClick={() => void forget()}>
                  Forget the stored credentials
                </button>
              ) : null}
              {saved ? (
                <span class="saved" role="status">
                  {saved}
                </span>
              ) : null}
            </div>
          </form>
        )
      }
    </WhenLoaded>
  );
}
