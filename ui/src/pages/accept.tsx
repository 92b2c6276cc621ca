// Accept invitation: paste the code, check what it says (no side effects), confirm.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Connection, type NodeInfo, post } from '../api.ts';
import { Field, ModeBadge, Page, Problem, When } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { href, navigate } from '../router.ts';
import { codeFingerprint } from './initiate.tsx';

/** What an invitation says, read from the inspect answer whatever its exact wrapping. */
export interface InvitationView {
  inviterName: string | null;
  inviterUrl: string | null;
  mode: string;
  localName: string;
  remoteName: string;
  name: string;
  description: string;
  expiresAt: string | null;
  inviterFingerprint: string | null;
  refusal: string | null;
}

export function normalizeInspect(r: Record<string, unknown>): InvitationView {
  const inv = (r.invitation ?? r) as Record<string, unknown>;
  const refusal = (r.refusal ?? null) as { message?: string; detail?: string; code?: string } | string | null;
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    inviterName: s(inv.inviterName) ?? s((inv.inviter as Record<string, unknown> | undefined)?.name),
    inviterUrl: s(inv.inviterUrl) ?? s((inv.inviter as Record<string, unknown> | undefined)?.url),
    mode: s(inv.mode) ?? '',
    localName: s(inv.localName) ?? '',
    remoteName: s(inv.remoteName) ?? '',
    name: s(inv.name) ?? '',
    description: s(inv.description) ?? '',
    expiresAt: s(inv.expiresAt),
    inviterFingerprint: s(r.inviterFingerprint),
    refusal:
      r.ok === false || r.valid === false || refusal
        ? typeof refusal === 'string'
          ? refusal
          : (refusal?.message ?? refusal?.detail ?? refusal?.code ?? 'This invitation cannot be accepted')
        : null,
  };
}

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
    inspect.setError(undefined);
    const c = code.trim();
    if (!c) {
      setFingerprint('');
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      void inspect
        .run(() => post<Record<string, unknown>>('/api/invitations/inspect', { code: c }))
        .then(async (r) => {
          if (cancelled) return;
          if (r) setInfo(normalizeInspect(r));
          const f = typeof r?.fingerprint === 'string' ? r.fingerprint : await codeFingerprint(c);
          if (!cancelled) setFingerprint(f);
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
      post<{ connection: Connection }>('/api/invitations/accept', {
        code: code.trim(),
        ...(publicUrl.trim() ? { publicUrl: publicUrl.trim() } : {}),
      }),
    );
    if (r) navigate(`/connections/${r.connection.id}`);
  };

  const blocked = !info || !!info.refusal;
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
        <Problem error={inspect.error} title="This code cannot be read" />
        {info ? (
          <section aria-labelledby="inv-title" class="invitation-info">
            <h2 id="inv-title">The invitation</h2>
            {info.refusal ? (
              <p class="problem" role="alert">
                {info.refusal}
              </p>
            ) : null}
            <dl class="facts">
              <dt>From</dt>
              <dd>
                {info.inviterName ?? 'Unknown'}
                {info.inviterUrl ? (
                  <span class="muted"> · {info.inviterUrl}</span>
                ) : (
                  <span class="muted">
                    {' '}
                    · private host: it dials this node, so this node needs a public URL
                  </span>
                )}
              </dd>
              {info.inviterFingerprint ? (
                <>
                  <dt>Inviter key fingerprint</dt>
                  <dd>
                    <code>{info.inviterFingerprint}</code>
                  </dd>
                </>
              ) : null}
              <dt>Mode</dt>
              <dd>{info.mode ? <ModeBadge mode={info.mode} /> : '—'}</dd>
              <dt>Connection name</dt>
              <dd data-testid="inv-name">{info.name}</dd>
              <dt>Local instance short name</dt>
              <dd>{info.remoteName}</dd>
              <dt>Remote instance short name</dt>
              <dd>{info.localName}</dd>
              {info.description ? (
                <>
                  <dt>Description</dt>
                  <dd>{info.description}</dd>
                </>
              ) : null}
              <dt>Expires</dt>
              <dd>
                <When at={info.expiresAt} />
              </dd>
            </dl>
          </section>
        ) : null}
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
