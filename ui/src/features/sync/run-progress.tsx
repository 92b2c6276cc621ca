// The progress of one sync run, as a bar and its counts; polled from the host until the run is over.
import { useEffect, useState } from 'preact/hooks';
import { client, enc, json, type Run } from '../../api.ts';
import { href } from '../../router.ts';

/** A run is over once `finishedAt` is set: every change it sent has its outcome from the partner. */
const isOver = (r: Run) => r.finishedAt !== null;

/** The bar of a run: entities done of all it covers, and what the partner made of them. */
export function RunBar({ run }: { run: Run }) {
  const label =
    run.status === 'running'
      ? `${run.processed} of ${run.total} processed`
      : `${run.status === 'cancelled' ? 'Cancelled' : run.status === 'failed' ? 'Failed' : 'Finished'}: ${run.processed} of ${run.total} processed`;
  return (
    <div class="run-progress" data-run={run.id} data-status={run.status}>
      <label for={`run-${run.id}`}>
        {label}
        {run.pending ? `, ${run.pending} waiting for the partner` : ''}
      </label>
      <progress
        id={`run-${run.id}`}
        max={Math.max(1, run.total)}
        value={isOver(run) ? Math.max(1, run.total) : run.processed}
      />
      <span class="muted small">
        {run.created} created · {run.updated} updated · {run.skipped} skipped · {run.errors} errors ·{' '}
        {run.warnings} warnings
      </span>
    </div>
  );
}

/** Follows a run until it is over, with a link to its own page. */
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
  if (!run) return <p class="loading">Starting the run…</p>;
  return (
    <div>
      <RunBar run={run} />
      <a href={href(`/runs/${run.id}`)} class="small">
        Open the run
      </a>
    </div>
  );
}
