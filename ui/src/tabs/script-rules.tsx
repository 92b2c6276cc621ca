// Script mode rules: outgoing and incoming editors, compile errors at their line, test run, draft and publish.
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  type ApiError,
  type Connection,
  type Entity,
  enc,
  get,
  type List,
  post,
  put,
  type RulesView,
} from '../api.ts';
import type { Marker } from '../components/code-editor.tsx';
import { CodeEditor } from '../components/lazy-editor.tsx';
import { Field, Json, Problem } from '../components/ui.tsx';
import { useAction, useLoad } from '../hooks.ts';
import { useRoute } from '../router.ts';

type Script = 'outgoing' | 'incoming';

/** Compile problems from a 422 answer, whatever the exact shape: `{script, line, column}` or `errors: [...]`. */
export function compileMarkers(err: ApiError | undefined): Record<Script, Marker[]> {
  const out: Record<Script, Marker[]> = { outgoing: [], incoming: [] };
  if (err?.status !== 422) return out;
  const entries: Record<string, unknown>[] = [];
  if (typeof err.body.line === 'number') entries.push(err.body);
  const list = err.body.problems ?? err.body.errors ?? err.body.compileErrors ?? err.body.diagnostics;
  if (Array.isArray(list)) entries.push(...(list as Record<string, unknown>[]));
  for (const e of entries) {
    if (typeof e.line !== 'number') continue;
    const which = String(e.script ?? e.program ?? e.part ?? e.which ?? e.path ?? '');
    const script: Script = which.includes('incoming') ? 'incoming' : 'outgoing';
    out[script].push({
      line: e.line,
      column: typeof e.column === 'number' ? e.column : undefined,
      message: String(e.message ?? err.message),
    });
  }
  return out;
}

export function ScriptRulesEditor(props: {
  connection: Connection;
  rules: RulesView;
  onSaved: (r: RulesView) => void;
}) {
  const base = `/api/connections/${enc(props.connection.id)}/rules`;
  const source = props.rules.draft ?? props.rules.published ?? {};
  const [outgoing, setOutgoing] = useState(String(source.outgoing ?? ''));
  const [incoming, setIncoming] = useState(String(source.incoming ?? ''));
  const [savedAs, setSavedAs] = useState('');
  const save = useAction();
  const route = useRoute();
  const jump = { script: route.query.get('script'), line: Number(route.query.get('line')) || undefined };

  useEffect(() => {
    const s = props.rules.draft ?? props.rules.published ?? {};
    setOutgoing(String(s.outgoing ?? ''));
    setIncoming(String(s.incoming ?? ''));
  }, [props.rules.version, !!props.rules.draft]);

  const [runMarker, setRunMarker] = useState<{ script: Script; marker: Marker } | null>(null);
  const markers = useMemo(() => {
    const m = compileMarkers(save.error);
    if (runMarker) m[runMarker.script] = [...m[runMarker.script], runMarker.marker];
    return m;
  }, [save.error, runMarker]);
  const dirty = outgoing !== String(source.outgoing ?? '') || incoming !== String(source.incoming ?? '');

  const submit = async (publish: boolean) => {
    setSavedAs('');
    setRunMarker(null);
    const r = await save.run(() => put<RulesView>(base, { outgoing, incoming, publish }));
    if (r) {
      props.onSaved(r);
      setSavedAs(publish ? `Published version ${r.version}` : 'Draft saved');
    }
  };

  const compileFailed = markers.outgoing.length + markers.incoming.length > 0;
  return (
    <div class="script-rules">
      <p class="hint">
        <strong>Outgoing</strong> fills <code>replica</code> from <code>entity</code>;{' '}
        <strong>incoming</strong> changes <code>entity</code> from <code>replica</code>, <code>previous</code>{' '}
        and <code>firstSync</code>. Helpers: <code>helpers.comments.merge</code>,{' '}
        <code>helpers.map(value, table, fallback)</code>.
      </p>
      <div class="editor-pair">
        <div>
          <h3 id="outgoing-label">Outgoing sync</h3>
          <p class="muted small">What this side sends to {props.connection.remoteName}.</p>
          <CodeEditor
            id="outgoing"
            label="Outgoing script"
            value={outgoing}
            onChange={setOutgoing}
            markers={markers.outgoing}
            focusLine={jump.script === 'outgoing' ? jump.line : undefined}
          />
        </div>
        <div>
          <h3 id="incoming-label">Incoming sync</h3>
          <p class="muted small">How this side applies what {props.connection.remoteName} sends.</p>
          <CodeEditor
            id="incoming"
            label="Incoming script"
            value={incoming}
            onChange={setIncoming}
            markers={markers.incoming}
            focusLine={jump.script === 'incoming' ? jump.line : undefined}
          />
        </div>
      </div>
      {compileFailed && !runMarker ? (
        <div class="problem" role="alert" data-testid="compile-error">
          <strong>The script does not compile:</strong>
          <ul>
            {(['outgoing', 'incoming'] as const).flatMap((s) =>
              markers[s].map((m) => (
                <li key={`${s}:${m.line}:${m.column ?? 0}`}>
                  {s} script, line {m.line}
                  {m.column ? `, column ${m.column}` : ''}: {m.message}
                </li>
              )),
            )}
          </ul>
        </div>
      ) : (
        <Problem error={save.error} title="Not saved" />
      )}
      <div class="form-actions">
        <button type="button" onClick={() => void submit(false)} disabled={save.busy}>
          Save draft
        </button>
        <button type="button" class="primary" onClick={() => void submit(true)} disabled={save.busy}>
          Publish
        </button>
        {savedAs && !dirty ? (
          <span class="saved" role="status">
            {savedAs}
          </span>
        ) : dirty ? (
          <span class="muted">Unsaved changes</span>
        ) : null}
      </div>
      <TestRun connectionId={props.connection.id} onFailure={setRunMarker} />
    </div>
  );
}

/** Runs the current draft (or the published rules) against one entity; nothing is written. */
export function TestRun({
  connectionId,
  onFailure,
}: {
  connectionId: string;
  /** Called with where the rule failed (or null when it ran), to mark the line in the editor. */
  onFailure?: (at: { script: Script; marker: Marker } | null) => void;
}) {
  const entities = useLoad(() => get<List<Entity>>('/api/entities?limit=100'), 'test-entities');
  const [entityId, setEntityId] = useState('');
  const [direction, setDirection] = useState('outgoing');
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const action = useAction();
  const run = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    const r = await action.run(() =>
      post<Record<string, unknown>>(`/api/connections/${enc(connectionId)}/rules/test`, {
        entityId,
        direction,
      }),
    );
    if (r) setResult(r);
    const failure = r?.error as
      | { script?: string; line?: number; column?: number; message?: string }
      | undefined;
    onFailure?.(
      failure?.line
        ? {
            script: failure.script === 'incoming' ? 'incoming' : 'outgoing',
            marker: {
              line: failure.line,
              column: failure.column,
              message: failure.message ?? 'The rule failed',
            },
          }
        : null,
    );
  };
  const replica = result ? (result.replica ?? result.outgoing ?? null) : null;
  const change = result ? (result.change ?? result.changes ?? result.result ?? result.entity ?? null) : null;
  return (
    <form class="card form test-run" onSubmit={run} aria-labelledby="test-run-title">
      <h3 id="test-run-title">Test run</h3>
      <p class="hint">
        Runs the rules against a real entity and shows the replica and the change they would make. Nothing is
        written.
      </p>
      <div class="grid-2">
        <Field label="Entity" id="test-entity">
          <select
            id="test-entity"
            value={entityId}
            onChange={(e) => setEntityId(e.currentTarget.value)}
            required
          >
            <option value="">Choose an entity</option>
            {(entities.data?.items ?? []).map((en) => (
              <option key={en.id} value={en.id}>
                {en.key} · {String(en.fields.summary ?? '')}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Direction" id="test-direction">
          <select id="test-direction" value={direction} onChange={(e) => setDirection(e.currentTarget.value)}>
            <option value="outgoing">Outgoing: the replica this side would send</option>
            <option value="incoming">Incoming: the change this side would make from it</option>
          </select>
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" disabled={!entityId || action.busy}>
          {action.busy ? 'Running…' : 'Run test'}
        </button>
      </div>
      <Problem error={action.error} title="The test run failed" />
      {result ? (
        <div class="test-result grid-2" data-testid="test-result">
          <div>
            <h4>Replica</h4>
            <Json value={replica} label="Replica" />
          </div>
          <div>
            <h4>Resulting change</h4>
            <Json value={change} label="Resulting change" />
          </div>
          {result.error ? <RunFailure error={result.error as Record<string, unknown>} /> : null}
          {Array.isArray(result.warnings) && result.warnings.length ? (
            <ul class="warnings">
              {(result.warnings as string[]).map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

function RunFailure({ error }: { error: Record<string, unknown> }) {
  const where =
    typeof error.line === 'number'
      ? ` (${String(error.script ?? '')} script, line ${error.line}${typeof error.column === 'number' ? `, column ${error.column}` : ''})`
      : '';
  return (
    <p class="problem test-failure" role="alert">
      <strong>The rule failed{where}:</strong> {String(error.message ?? error.kind ?? 'unknown error')}
    </p>
  );
}
