// A pending connection's invitation on its page: when it expires, the code shown again, and a new code.

import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { type Connection, client, enc, json, type PendingCode } from '../../api.ts';
import { Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';

export function PendingInvitation({
  connection: c,
  onChanged,
}: {
  connection: Connection;
  onChanged: () => Promise<void>;
}) {
  const [shown, setShown] = useState<PendingCode | null>(null);
  const [confirmNew, setConfirmNew] = useState(false);
  const [renewed, setRenewed] = useState(false);
  const action = useAction();
  const expired = Date.parse(c.invitation.expiresAt) < Date.now();

  const show = async () => {
    const r = await action.run(() =>
      json(client.connections[':id'].invitation.$get({ param: { id: enc(c.id) } })),
    );
    if (r) {
      setShown(r);
      setRenewed(false);
    }
  };
  const renew = async () => {
    const r = await action.run(() =>
      json(client.connections[':id'].invitation.$post({ param: { id: enc(c.id) } })),
    );
    setConfirmNew(false);
    if (!r) return;
    setShown(r);
    setRenewed(true);
    await onChanged();
  };

  return (
    <section class="pending-invitation" aria-labelledby="pending-inv-title">
      <h2 id="pending-inv-title" class="sr-only">
        Invitation
      </h2>
      <p class="hint" data-testid="invitation-expiry">
        Waiting for the other side to accept the invitation.{' '}
        {expired ? (
          <strong>
            The code expired <When at={c.invitation.expiresAt} />: make a new one.
          </strong>
        ) : (
          <>
            The code expires <When at={c.invitation.expiresAt} />.
          </>
        )}
      </p>
      <Can need="admin">
        <div class="form-actions">
          {shown ? (
            <button type="button" onClick={() => setShown(null)}>
              Hide code
            </button>
          ) : (
            <button type="button" onClick={() => void show()} disabled={action.busy}>
              Show invitation code
            </button>
          )}
          {confirmNew ? (
            <span class="confirm">
              The current code stops working.{' '}
              <button type="button" class="primary" onClick={() => void renew()} disabled={action.busy}>
                Make a new code
              </button>{' '}
              <button type="button" onClick={() => setConfirmNew(false)}>
                Keep the current one
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirmNew(true)}>
              New code…
            </button>
          )}
        </div>
      </Can>
      {shown ? (
        <div class="field">
          <label for="pending-code">{renewed ? 'New invitation code' : 'Invitation code'}</label>
          <textarea
            id="pending-code"
            class="code-text"
            readOnly
            rows={4}
            value={shown.code}
            onFocus={(e) => e.currentTarget.select()}
          />
          <p class="hint">
            Single use; treat it like a password until it is accepted. Fingerprint{' '}
            <code data-testid="pending-fingerprint">{shown.fingerprint}</code> · expires{' '}
            <When at={shown.expiresAt} />
            {renewed ? ' · the previous code no longer works.' : '.'}
          </p>
        </div>
      ) : null}
      <Problem error={action.error} title="The invitation could not be read" />
    </section>
  );
}
