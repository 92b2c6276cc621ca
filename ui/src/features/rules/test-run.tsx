// Test run: the rules in the editor (unsaved, the saved draft or the published ones) run against one entity; nothing is written.
import { useState } from 'preact/hooks';
import { client, enc, json, type RuleSet, type TestRunResult } from '../../api.ts';
import { Field, Json, Problem } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import type { ScriptMarker } from './compile-markers.ts';

/** What the editor holds: its rules, and whether they are unsaved, the saved draft or the published rules. */
export interface EditorRules {
  ruleSet: RuleSet;
  state: 'unsaved' | 'draft' | 'published';
}

/** What a result says it ran. */
export function ranLabel(r: Pick<TestRunResult, 'source' | 'version'>): string {
  if (r.source === 'editor') return 'Ran the rules in the editor (unsaved)';
  if (r.source === 'draft') return `Ran the saved draft (edited on version ${r.version})`;
  return `Ran the published rules (version ${r.version})`;
}

/** Runs what is in the editor against one entity; nothing is written. */
export function TestRun({
  connectionId,
  onFailure,
  editor,
}: {
  connectionId: string;
  /** Called with where the rule failed (or null when it ran), to mark the line in the editor. */
  onFailure?: (at: ScriptMarker | null) => void;
  /** The editor's rules; without them, the saved draft (or the published rules) run. */
  editor?: EditorRules;
}) {
  const entities = useLoad(() => json(client.entities.$get({ query: { limit: 100 } })), 'test-entities');
  const [entityId, setEntityId] = useState('');
  const [direction, setDirection] = useState<'outgoing' | 'incoming'>('outgoing');
  const [result, setResult] = useState<TestRunResult | null>(null);
  const action = useAction();
  const run = async (e: Event) => {
    e.preventDefault();
    setResult(null);
    const r = await action.run(() =>
      json(
        client.connections[':id'].rules.test.$post({
          param: { id: enc(connectionId) },
          json: {
            entityId,
            direction,
            ...(editor?.state === 'unsaved'
              ? { ruleSet: editor.ruleSet }
              : editor?.state === 'published'
                ? { rules: 'published' as const }
                : {}),
          },
        }),
      ),
    );
    if (r) setResult(r);
    const failure = r?.error;
    onFailure?.(
      failure?.line
        ? {
            script: failure.script,
            marker: { line: failure.line, column: failure.column, message: failure.message },
          }
        : null,
    );
  };
  // Outgoing: the replica that would be sent and no change; incoming: the replica applied and its change.
  const replica = result?.replica ?? null;
  const change = result ? (result.change ?? result.entity ?? null) : null;
  return (
    <form class="card form test-run" onSubmit={run} aria-labelledby="test-run-title">
      <h3 id="test-run-title">Test run</h3>
      <p class="hint">
        Runs the rules in the editor against a real entity, saved or not, and shows the replica and the change
        they would make. Nothing is written.
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
          <select
            id="test-direction"
            value={direction}
            onChange={(e) => setDirection(e.currentTarget.value === 'incoming' ? 'incoming' : 'outgoing')}
          >
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
          <p class="ran-what" data-source={result.source}>
            {ranLabel(result)}
          </p>
          <div>
            <h4>Replica</h4>
            <Json value={replica} label="Replica" />
          </div>
          <div>
            <h4>Resulting change</h4>
            <Json value={change} label="Resulting change" />
          </div>
          {result.error ? <RunFailure error={result.error} /> : null}
          {result.warnings.length ? (
            <ul class="warnings">
              {result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

function RunFailure({ error }: { error: NonNullable<TestRunResult['error']> }) {
  const where =
    error.line !== undefined
      ? ` (${error.script} script, line ${error.line}${error.column !== undefined ? `, column ${error.column}` : ''})`
      : '';
  return (
    <p class="problem test-failure" role="alert">
      <strong>The rule failed{where}:</strong> {error.message || error.kind}
    </p>
  );
}
