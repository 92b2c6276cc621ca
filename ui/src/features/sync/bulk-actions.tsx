// Retry all / Resolve all for the errors the current filter shows, each behind a confirmation.
import { useState } from 'preact/hooks';
import { useCan } from '../../access.tsx';
import { type BulkErrorResult, client, json } from '../../api.ts';
import { Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import type { ErrorFilter } from './error-filters.tsx';

type What = 'retry' | 'resolve';

const ASK: Record<What, string> = {
  retry: 'Retry every open error this filter shows (up to 1,000)? Each replays from its failed change.',
  resolve:
    'Resolve every open error this filter shows (up to 1,000)? Their failed changes are skipped and will not be applied.',
};

function said(what: What, r: BulkErrorResult): string {
  const parts =
    what === 'retry'
      ? [`Retried ${r.matched - r.atPeer}: ${r.resolved} resolved, ${r.open} still failing.`]
      : [`Resolved ${r.resolved}.`];
  if (r.atPeer)
    parts.push(`${r.atPeer} at the partner left as they are (they are handled on the partner's host).`);
  if (r.more) parts.push('More errors match: run it again for the rest.');
  return parts.join(' ');
}

export function BulkActions(props: { filter: ErrorFilter; count: number; onDone: () => Promise<void> }) {
  const [asking, setAsking] = useState<What | null>(null);
  const [result, setResult] = useState('');
  const action = useAction();
  const can = useCan();
  const { status: _status, ...filter } = props.filter;
  const run = async (what: What) => {
    setAsking(null);
    const r = await action.run(() => json(client.errors[what].$post({ json: filter })));
    if (r) {
      setResult(said(what, r));
      await props.onDone();
    }
  };
  if (props.filter.status !== 'open' || !can('rules')) return null;
  if (props.filter.side === 'peer')
    return <p class="hint">The partner's errors are retried or resolved on the partner's host.</p>;
  return (
    <div class="bulk-actions">
      {asking ? (
        <span class="confirm">
          {ASK[asking]}{' '}
          <button type="button" class="primary" onClick={() => void run(asking)} disabled={action.busy}>
            {asking === 'retry' ? 'Retry all' : 'Resolve all'}
          </button>
          <button type="button" onClick={() => setAsking(null)}>
            Cancel
          </button>
        </span>
      ) : (
        <div class="form-actions">
          <button
            type="button"
            onClick={() => setAsking('retry')}
            disabled={action.busy || props.count === 0}
          >
            Retry all…
          </button>
          <button
            type="button"
            onClick={() => setAsking('resolve')}
            disabled={action.busy || props.count === 0}
          >
            Resolve all…
          </button>
        </div>
      )}
      {result ? (
        <p class="saved" role="status">
          {result}
        </p>
      ) : null}
      <Problem error={action.error} title="Not done" />
    </div>
  );
}
