// The words and tones the console gives outcomes, twin statuses, run statuses and resolutions.
import type { HistoryItem, Run, SyncError, TwinStatus } from '../../api.ts';

type Tone = 'ok' | 'wait' | 'bad' | 'off';

export const TWIN_STATUS: Record<TwinStatus, { label: string; tone: Tone }> = {
  synced: { label: 'Synced', tone: 'ok' },
  pending: { label: 'Pending', tone: 'wait' },
  error_here: { label: 'Error here', tone: 'bad' },
  error_at_peer: { label: 'Error at partner', tone: 'bad' },
  unlinked: { label: 'Unlinked', tone: 'off' },
};

export const RUN_STATUS: Record<Run['status'], { label: string; tone: Tone }> = {
  running: { label: 'Running', tone: 'wait' },
  finished: { label: 'Finished', tone: 'ok' },
  cancelled: { label: 'Cancelled', tone: 'off' },
  failed: { label: 'Failed', tone: 'bad' },
};

export const OUTCOME: Record<HistoryItem['outcome'], { label: string; tone: Tone }> = {
  pending: { label: 'Waiting', tone: 'wait' },
  applied: { label: 'Applied', tone: 'ok' },
  skipped: { label: 'Skipped', tone: 'off' },
  failed: { label: 'Failed', tone: 'bad' },
};

const RESOLUTIONS: Record<string, string> = {
  retried: 'retried successfully',
  skipped: 'skipped (its change was not applied)',
  recovered: 'recovered by itself',
  superseded: 'a later change went through',
  connection_deleted: 'the connection was deleted',
};

/** How an error was resolved, in words. */
export const resolutionText = (e: SyncError): string =>
  e.resolution ? (RESOLUTIONS[e.resolution] ?? e.resolution) : 'resolved';

/** A badge for one of the tables above. */
export function Badge({ of, data }: { of: { label: string; tone: Tone }; data?: Record<string, string> }) {
  return (
    <span class={`badge tone-${of.tone}`} {...data}>
      {of.label}
    </span>
  );
}
