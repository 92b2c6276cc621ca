// Badges of a connection: its lifecycle state, the status of each link direction, its mode.
import type { ConnectionState, LinkStatus } from '../../api.ts';

const STATE_LABELS: Record<ConnectionState, string> = {
  pending: 'Pending',
  awaiting_validation: 'Awaiting validation',
  validated: 'Validated',
  validation_failed: 'Validation failed',
  active: 'Active',
  deactivated: 'Deactivated',
  error: 'Error',
};
const STATE_TONES: Record<ConnectionState, string> = {
  pending: 'wait',
  awaiting_validation: 'wait',
  validated: 'ok',
  validation_failed: 'bad',
  active: 'ok',
  deactivated: 'off',
  error: 'bad',
};

function stateLabel(s: string): string {
  return STATE_LABELS[s as ConnectionState] ?? s;
}

export function StateBadge({ state }: { state: string }) {
  return (
    <span class={`badge tone-${STATE_TONES[state as ConnectionState] ?? 'off'}`} data-state={state}>
      {stateLabel(state)}
    </span>
  );
}

const LINK_LABELS: Record<string, string> = {
  not_onboarded: 'Not onboarded',
  up: 'Up',
  slow: 'Slow',
  down: 'Down',
};
const LINK_TONES: Record<string, string> = { not_onboarded: 'off', up: 'ok', slow: 'wait', down: 'bad' };

/** A direction's status; `off` (a deactivated connection, whose directions are null) shows "Off". */
export function LinkBadge({ status, off }: { status: LinkStatus | undefined; off?: boolean }) {
  if (!status && off) return <span class="badge tone-off">Off</span>;
  if (!status)
    return (
      <span class="muted">
        <span aria-hidden="true">—</span>
        <span class="sr-only">No status</span>
      </span>
    );
  return <span class={`badge tone-${LINK_TONES[status] ?? 'off'}`}>{LINK_LABELS[status] ?? status}</span>;
}

export function ModeBadge({ mode }: { mode: string }) {
  return <span class="badge tone-mode">{mode.charAt(0).toUpperCase() + mode.slice(1)}</span>;
}
