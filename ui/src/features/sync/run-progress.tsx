// The progress of one sync run (a bulk sync): polled until it finishes, as a progress bar and its counts.
import { useEffect, useState } from 'preact/hooks';
import { enc, get, type Run } from '../../api.ts';

const DONE = new Set([
  'done',
  'finished',
  'completed',
  'complete',
  'succeeded',
  'failed',
  'cancelled',
  'error',
]);

/** Follows a run until it finishes: a progress bar and its counts. */
export function RunProgress({ runId }: { runId: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [failed, setFailed] = useState('');
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const r = await get<Run>(`/api/runs/${enc(runId)}`);
        if (stopped) return;
        setRun(r);
        if (r.finishedAt || DONE.has(r.status)) return;
      } catch (e) {
        if (!stopped) setFailed(String((e as Error).message));
        return;
      }
      timer = setTimeout(() => void tick(), 500);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId]);
  if (failed) return <p class="field-error">{failed}</p>;
  if (!run) return <p class="loading">Starting bulk sync…</p>;
  const finished = !!run.finishedAt || DONE.has(run.status);
  const total = 'total' in run && typeof run.total === 'number' && run.total > 0 ? run.total : null;
  return (
    <div class="run-progress" data-run={run.id} data-status={run.status}>
      <label for={`run-${run.id}`}>
        Bulk sync {finished ? run.status : 'running'}: {run.processed}
        {total ? ` of ${total}` : ''} processed
      </label>
      {total ? (
        <progress id={`run-${run.id}`} max={total} value={run.processed} />
      ) : finished ? (
        <progress id={`run-${run.id}`} max={1} value={1} />
      ) : (
        <progress id={`run-${run.id}`} />
      )}
      <span class="muted small">
        {run.created} created · {run.updated} updated · {run.skipped} skipped · {run.errors} errors ·{' '}
        {run.warnings} warnings
      </span>
    </div>
  );
}
