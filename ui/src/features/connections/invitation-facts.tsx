// What an invitation says: read from the inspect answer, and shown as facts before it is accepted.
import { When } from '../../components/ui.tsx';
import { ModeBadge } from './badges.tsx';

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

export function InvitationFacts({ info }: { info: InvitationView }) {
  return (
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
            <span class="muted"> · private host: it dials this node, so this node needs a public URL</span>
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
  );
}
