// One sync error as a card: which record failed on each side, the message and script line, attempts, and how it ended.
import { useCan } from '../../access.tsx';
import type { Connection, SyncError } from '../../api.ts';
import { When } from '../../components/ui.tsx';
import { href, qs } from '../../router.ts';
import { resolutionText } from './outcome-labels.tsx';

export function scriptPlace(e: SyncError): string | null {
  if (e.scriptLine == null) return null;
  return `${e.script ? `${e.script} script, ` : ''}line ${e.scriptLine}`;
}

const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);

export function ErrorCard(props: {
  error: SyncError;
  connection: Connection | undefined;
  names: Map<string, string> | undefined;
  busy: boolean;
  onAct: (what: 'retry' | 'resolve') => void;
}) {
  const { error: e, connection, names, busy, onAct } = props;
  const can = useCan();
  const place = scriptPlace(e);
  const connId = e.connectionId ?? connection?.id;
  const atPartner = e.side === 'peer';
  const record = [e.entityKey, e.entitySummary].filter(Boolean).join(' · ');
  return (
    <li class={`card error-item${atPartner ? ' at-partner' : ''}`} data-error={e.id} data-side={e.side}>
      <div class="error-head">
        <span class="badge tone-bad">{e.level}</span>
        {atPartner ? (
          <span class="badge tone-wait" title="This failed on the partner's host">
            At partner
          </span>
        ) : null}
        {e.status === 'resolved' ? <span class="badge tone-ok">Resolved</span> : null}
        {!connection && e.connectionId ? (
          <a href={href(`/connections/${e.connectionId}/errors`)}>
            {names?.get(e.connectionId) ?? 'Connection'}
          </a>
        ) : null}
        <When at={e.occurredAt} />
      </div>
      {e.entityId || e.remoteKey ? (
        <p class="error-record">
          {e.entityId ? (
            <a href={href(`/entities/${e.entityId}`)}>{record || e.entityId}</a>
          ) : (
            <span>Not created here yet</span>
          )}
          {e.remoteKey ? <span class="muted"> · partner's {e.remoteKey}</span> : null}
        </p>
      ) : null}
      <p class="error-message">{e.message}</p>
      {place ? (
        <p class="script-line">
          At{' '}
          {connId && !atPartner ? (
            <a href={href(`/connections/${connId}/rules${qs({ script: e.script, line: e.scriptLine })}`)}>
              {place}
            </a>
          ) : (
            `${place}${atPartner ? " of the partner's rules" : ''}`
          )}
        </p>
      ) : null}
      <p class="muted small attempts">Tried {times(e.attempts)}</p>
      {e.status === 'resolved' ? (
        <p class="resolved-note">
          Resolved by <strong>{e.resolvedBy ?? 'someone'}</strong> <When at={e.resolvedAt} />:{' '}
          {resolutionText(e)}
        </p>
      ) : atPartner ? (
        <p class="hint">
          This failed on the partner's host: it is retried or resolved there, and this card follows its
          outcome.
        </p>
      ) : can('rules') ? (
        <div class="form-actions">
          <button type="button" class="primary" onClick={() => onAct('retry')} disabled={busy}>
            Retry
          </button>
          <button type="button" onClick={() => onAct('resolve')} disabled={busy}>
            Resolve
          </button>
        </div>
      ) : null}
    </li>
  );
}
