// The progress of one sync run (a bulk sync): polled until it finishes, as a progress bar and its counts.
import { useEffect, useState } from 'preact/hooks';
import { client, enc, json, type Run } from '../../api.ts';

/** A run is over once it is no longer `running` (finished, failed or cancelled); `finishedAt` is then set. */
const isOver = (r: Run) => r.status !== 'running' || r.finishedAt !== null;

/**
 * Follows a run until it is over. A run does not know its total in advance (it counts what it has processed so
 * far), so while it runs the bar is indeterminate beside the count; once it is over the bar is full.
 */
export function RunProgress({ runId }: { runId: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [failed, setFailed] = useState('');
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const r = await json(client.runs[':id'].$get({ param: { id: enc(runId) } }));
        if (stopped) return;
        setRun(r);
        if (isOver(r)) return;
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
  const over = isOver(run);
  return (
    <div class="run-progress" data-run={run.id} data-status={run.status}>
      <label for={`run-${run.id}`}>
        Bulk sync {over ? run.status : 'running'}: {run.processed} processed
      </label>
      {over ? <progress id={`run-${run.id}`} max={1} value={1} /> : <progress id={`run-${run.id}`} />}
      <span class="muted small">
        {run.created} created · {run.updated} updated · {run.skipped} skipped · {run.errors} errors ·{' '}
        {run.warnings} warnings
      </span>
    </div>
  );
}
