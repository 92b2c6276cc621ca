// Accept invitation: paste the code, see what it says once the host verified it (no side effects), confirm.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, client, json, type NodeInfo } from '../../api.ts';
import { Field, Page, Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { href, navigate } from '../../router.ts';
import { InvitationFacts, type InvitationView, normalizeInspect } from './invitation-facts.tsx';

export function AcceptInvitation({ node }: { node: NodeInfo | undefined }) {
  const [code, setCode] = useState('');
  const [publicUrl, setPublicUrl] = useState('');
  const [info, setInfo] = useState<InvitationView | null>(null);
  const [fingerprint, setFingerprint] = useState('');
  const inspect = useAction();
  const accept = useAction();

  useEffect(() => {
    if (node?.publicUrl) setPublicUrl((cur) => cur || (node.publicUrl ?? ''));
  }, [node?.publicUrl]);

  useEffect(() => {
    setInfo(null);
    setFingerprint('');
    inspect.setError(undefined);
    const c = code.trim();
    if (!c) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      void inspect
        .run(() => json(client.invitations.inspect.$post({ json: { code: c } })))
        .then((r) => {
          if (cancelled) return;
          // Contents and fingerprint of a verified code only; a refused one shows why, nothing else.
          setInfo(r ? normalizeInspect(r) : null);
          setFingerprint(r ? r.fingerprint : '');
        });
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [code]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await accept.run(() =>
      json(
        client.invitations.accept.$post({
          json: { code: code.trim(), ...(publicUrl.trim() ? { publicUrl: publicUrl.trim() } : {}) },
        }),
      ),
    );
    if (r) navigate(`/connections/${r.connection.id}`);
  };

  const blocked = !info;
  return (
    <Page
      title="Accept invitation"
      intro="Paste the invitation code the other side's administrator copied for you."
      actions={<a href={href('/connections')}>Back to connections</a>}
    >
      <form class="card form" onSubmit={submit}>
        <Field
          label="Invitation code"
          id="accept-code"
          required
          hint={
            fingerprint ? (
              <>
                Fingerprint <code data-testid="code-fingerprint">{fingerprint}</code>
              </>
            ) : undefined
          }
        >
          <textarea
            id="accept-code"
            class="code-text"
            rows={4}
            required
            spellcheck={false}
            autoComplete="off"
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </Field>
        {inspect.busy ? (
          <p class="loading" role="status">
            Reading the invitation…
          </p>
        ) : null}
        <Problem error={inspect.error} title="This code cannot be accepted" />
        {info ? <InvitationFacts info={info} /> : null}
        <Field
          label="This node's public URL (optional)"
          id="accept-public-url"
          hint="Tell the inviter how to reach this host. Leave empty if this host is private; it dials the inviter instead."
        >
          <input
            id="accept-public-url"
            type="url"
            value={publicUrl}
            onInput={(e) => setPublicUrl(e.currentTarget.value)}
          />
        </Field>
        <Problem error={accept.error} title={accept.error instanceof ApiError ? 'Not accepted' : undefined} />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={blocked || accept.busy}>
            {accept.busy ? 'Accepting…' : 'Accept invitation'}
          </button>
        </div>
      </form>
    </Page>
  );
}
