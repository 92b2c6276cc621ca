// The summary card of one connection: its state, links, partner and counts, the pending invitation, with Edit, Activate, Deactivate and Delete.

import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { type Connection, client, enc, json } from '../../api.ts';
import { Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { LinkBadge, ModeBadge, StateBadge } from './badges.tsx';
import { EditDetails } from './edit-details.tsx';
import { PendingInvitation } from './pending-invitation.tsx';

export function Summary({
  connection: c,
  onChanged,
}: {
  connection: Connection;
  onChanged: () => Promise<void>;
}) {
  const action = useAction();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const lifecycle = async (what: 'activate' | 'deactivate') => {
    const r = await action.run(() =>
      json(client.connections[':id'][what].$post({ param: { id: enc(c.id) } })),
    );
    if (r !== undefined) await onChanged();
  };
  const remove = async () => {
    const ok = await action.run(async () => {
      await client.connections[':id'].$delete({ param: { id: enc(c.id) } });
      return true;
    });
    if (ok) navigate('/connections');
  };
  const onboarding = c.onboarding?.message;
  return (
    <div class="card summary">
      <dl class="summary-grid">
        <div>
          <dt>State</dt>
          <dd data-testid="connection-state">
            <StateBadge state={c.state} />
          </dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>
            <ModeBadge mode={c.mode} />
          </dd>
        </div>
        <div>
          <dt>Outbound status</dt>
          <dd data-testid="outbound-status">
            <LinkBadge status={c.outbound} off={c.state === 'deactivated'} />
          </dd>
        </div>
        <div>
          <dt>Inbound status</dt>
          <dd data-testid="inbound-status">
            <LinkBadge status={c.inbound} off={c.state === 'deactivated'} />
          </dd>
        </div>
        <div>
          <dt>Short names</dt>
          <dd>
            {c.localName} ↔ {c.remoteName}
          </dd>
        </div>
        <div>
          <dt>Partner</dt>
          <dd class="wrap">
            {c.peer?.name ?? '—'}
            {c.peer?.url ? <div class="muted small">{c.peer.url}</div> : null}
          </dd>
        </div>
        <div>
          <dt>Queued out / in</dt>
          <dd>
            {c.counts?.queuedOut ?? 0} / {c.counts?.queuedIn ?? 0}
          </dd>
        </div>
        <div>
          <dt>Synced items</dt>
          <dd>{c.counts?.twins ?? 0}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <When at={c.createdAt} />
          </dd>
        </div>
      </dl>
      {onboarding ? (
        <p class="notice" role="status" data-testid="onboarding">
          {onboarding}
          {c.onboarding?.at ? (
            <span class="muted small">
              {' · '}
              <When at={c.onboarding.at} />
            </span>
          ) : null}
        </p>
      ) : null}
      {c.state === 'pending' && c.role === 'inviter' && !c.invitation.usedAt ? (
        <PendingInvitation connection={c} onChanged={onChanged} />
      ) : c.state === 'pending' ? (
        <p class="hint">Waiting for the inviting host to dial this one.</p>
      ) : null}
      {c.lastError && (c.state === 'error' || c.state === 'validation_failed') ? (
        <p class="problem" role="alert">
          {c.lastError}
        </p>
      ) : null}
      <Can need="admin">
        <EditDetails connection={c} onChanged={onChanged} />
        <div class="form-actions">
          {c.state === 'deactivated' ? (
            <button type="button" onClick={() => void lifecycle('activate')} disabled={action.busy}>
              Activate
            </button>
          ) : c.state === 'active' || c.state === 'error' ? (
            <button type="button" onClick={() => void lifecycle('deactivate')} disabled={action.busy}>
              Deactivate
            </button>
          ) : null}
          {confirmDelete ? (
            <span class="confirm">
              Delete this connection? Synced items are unlinked; their data stays on both sides.{' '}
              <button type="button" class="danger" onClick={() => void remove()} disabled={action.busy}>
                Delete connection
              </button>{' '}
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" class="quiet" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
        </div>
      </Can>
      <Problem error={action.error} title="The action failed" />
    </div>
  );
}
