// Triggers: which entities a connection syncs (a query per type), active toggle, and bulk sync with progress.
import { useEffect, useState } from 'preact/hooks';
import {
  api,
  type Connection,
  ENTITY_TYPES,
  enc,
  get,
  type List,
  patch,
  post,
  type Run,
  type Trigger,
} from '../api.ts';
import { Empty, Field, issueFor, Loading, Problem } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { typeLabel } from '../pages/entities.tsx';

/** Catches the mistakes that are certainly wrong while typing; the host checks the rest on save. */
export function checkQuery(q: string): string | null {
  const s = q.trim();
  if (!s) return 'Enter a query, for example: priority <= 2 AND status != "closed"';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return `Unexpected ")" at position ${i + 1}`;
  }
  if (quote) return 'A quoted value is not closed';
  if (depth > 0) return 'A "(" is not closed';
  if (/^(AND|OR)\b/i.test(s) || /\b(AND|OR|NOT)$/i.test(s)) return 'The query starts or ends with AND/OR';
  if (/(=|!=|<=|>=|<|>)\s*$/.test(s)) return 'A comparison has no value';
  return null;
}

export function TriggersTab({ connection }: { connection: Connection }) {
  const base = `/api/connections/${enc(connection.id)}/triggers`;
  const triggers = useLoad(() => get<List<Trigger>>(base), connection.id);
  const action = useAction();
  const [runs, setRuns] = useState<Record<string, string>>({});
  const items = triggers.data?.items ?? [];

  const toggle = async (t: Trigger) => {
    const r = await action.run(() => patch<Trigger>(`/api/triggers/${enc(t.id)}`, { active: !t.active }));
    if (r) await triggers.reload();
  };
  const remove = async (t: Trigger) => {
    const r = await action.run(async () => {
      await api('DELETE', `/api/triggers/${enc(t.id)}`);
      return true;
    });
    if (r) await triggers.reload();
  };
  const bulk = async (t: Trigger) => {
    const r = await action.run(() => post<{ runId: string }>(`/api/triggers/${enc(t.id)}/bulk-sync`));
    if (r) setRuns((cur) => ({ ...cur, [t.id]: r.runId }));
  };

  return (
    <section aria-labelledby="triggers-title">
      <div class="tab-head">
        <h2 id="triggers-title">Triggers</h2>
      </div>
      <p class="hint">
        An entity that matches an active trigger is synced automatically whenever it changes. Bulk sync sends
        everything that matches now.
      </p>
      <Problem error={triggers.error} />
      <Problem error={action.error} title="The action failed" />
      {!triggers.data ? (
        triggers.error ? null : (
          <Loading />
        )
      ) : items.length === 0 ? (
        <Empty>No triggers yet. Nothing syncs automatically until you add one.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="data">
            <caption class="sr-only">Triggers</caption>
            <thead>
              <tr>
                <th scope="col">Entity type</th>
                <th scope="col">Query</th>
                <th scope="col">Active</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} data-trigger={t.id}>
                  <td>{typeLabel(t.entityType)}</td>
                  <td class="wrap">
                    <code>{t.query}</code>
                    {runs[t.id] ? <RunProgress runId={runs[t.id]!} /> : null}
                  </td>
                  <td>
                    <label class="switch">
                      <input
                        type="checkbox"
                        role="switch"
                        aria-checked={t.active}
                        checked={t.active}
                        disabled={action.busy}
                        onChange={() => void toggle(t)}
                        aria-label={`Trigger on ${typeLabel(t.entityType)} active`}
                      />
                      <span>{t.active ? 'Active' : 'Inactive'}</span>
                    </label>
                  </td>
                  <td class="links">
                    <button type="button" onClick={() => void bulk(t)} disabled={action.busy}>
                      Bulk sync
                    </button>
                    <button type="button" class="quiet" onClick={() => void remove(t)} disabled={action.busy}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewTrigger base={base} onCreated={triggers.reload} />
    </section>
  );
}

function NewTrigger({ base, onCreated }: { base: string; onCreated: () => Promise<void> }) {
  const [entityType, setEntityType] = useState('incident');
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(true);
  const [touched, setTouched] = useState(false);
  const action = useAction();
  const local = touched ? checkQuery(query) : null;
  const serverIssue =
    issueFor(action.error, 'query') ??
    (action.error?.code.includes('query') ? action.error.message : undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (checkQuery(query)) return;
    const r = await action.run(() => post<Trigger>(base, { entityType, query: query.trim(), active }));
    if (r) {
      setQuery('');
      setTouched(false);
      await onCreated();
    }
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-trigger-title" noValidate>
      <h3 id="new-trigger-title">Add a trigger</h3>
      <div class="grid-2">
        <Field label="Entity type" id="trigger-type">
          <select id="trigger-type" value={entityType} onChange={(e) => setEntityType(e.currentTarget.value)}>
            {ENTITY_TYPES.map((t) => (
              <option key={t} value={t}>
                {typeLabel(t)}
              </option>
            ))}
          </select>
        </Field>
        <label class="check align-end">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          Active
        </label>
      </div>
      <Field
        label="Query"
        id="trigger-query"
        hint={
          <>
            For example <code>priority &lt;= 2 AND status != "closed"</code>
          </>
        }
        error={local ?? serverIssue}
      >
        <input
          id="trigger-query"
          class="mono"
          value={query}
          aria-invalid={local || serverIssue ? 'true' : undefined}
          aria-describedby="trigger-query-hint trigger-query-error"
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setTouched(true);
            if (action.error) action.setError(undefined);
          }}
        />
      </Field>
      {action.error && !serverIssue ? <Problem error={action.error} title="Not added" /> : null}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy || !!local}>
          Add trigger
        </button>
      </div>
    </form>
  );
}

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
  const total = typeof run.total === 'number' && run.total > 0 ? run.total : null;
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
