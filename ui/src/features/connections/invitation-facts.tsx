// What an invitation says: read from the inspect answer, and shown as facts before it is accepted.
import type { InvitationSummary } from '../../api.ts';
import { When } from '../../components/ui.tsx';
import { ModeBadge } from './badges.tsx';

/** What an invitation says, as the facts show it. */
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
}

/** The facts of `POST /api/invitations/inspect`'s answer (a verified code: a refused one is an error). */
export function normalizeInspect(r: InvitationSummary): InvitationView {
  return {
    inviterName: r.inviterName,
    inviterUrl: r.inviterUrl,
    mode: r.mode,
    localName: r.localName,
    remoteName: r.remoteName,
    name: r.name,
    description: r.description,
    expiresAt: r.expiresAt,
    inviterFingerprint: r.inviterFingerprint,
  };
}

export function InvitationFacts({ info }: { info: InvitationView }) {
  return (
    <section aria-labelledby="inv-title" class="invitation-info">
      <h2 id="inv-title">The invitation</h2>
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
