// Script mode rules: outgoing and incoming editors, compile errors at their line, test run, draft and publish.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import type { Connection, RulesView } from '../../api.ts';
import { DraftBar } from '../../components/draft-bar.tsx';
import { CodeEditor } from '../../components/lazy-editor.tsx';
import { Problem } from '../../components/ui.tsx';
import { useRoute } from '../../router.ts';
import { compileMarkers, type Script, type ScriptMarker } from './compile-markers.ts';
import { useEditorPrefs } from './editor-prefs.ts';
import { editedRules, useRulesSave } from './rules-draft.ts';
import { TestRun } from './test-run.tsx';

const SCRIPTS: { script: Script; title: string; label: string; says: (remote: string) => string }[] = [
  {
    script: 'outgoing',
    title: 'Outgoing sync',
    label: 'Outgoing script',
    says: (remote) => `What this side sends to ${remote}.`,
  },
  {
    script: 'incoming',
    title: 'Incoming sync',
    label: 'Incoming script',
    says: (remote) => `How this side applies what ${remote} sends.`,
  },
];

/** The two scripts an editor starts from. */
function scriptsOf(rules: RulesView): Record<Script, string> {
  const s = editedRules(rules);
  return { outgoing: String(s.outgoing ?? ''), incoming: String(s.incoming ?? '') };
}

export function ScriptRulesEditor(props: {
  connection: Connection;
  rules: RulesView;
  onSaved: (r: RulesView) => void;
}) {
  const [text, setText] = useState(() => scriptsOf(props.rules));
  const draft = useRulesSave(props.connection.id, props.onSaved);
  const route = useRoute();
  const jump = { script: route.query.get('script'), line: Number(route.query.get('line')) || undefined };

  useEffect(() => {
    setText(scriptsOf(props.rules));
  }, [props.rules.version, !!props.rules.draft]);

  const [prefs, setPrefs] = useEditorPrefs();
  const [runMarker, setRunMarker] = useState<ScriptMarker | null>(null);
  const markers = useMemo(() => {
    const m = compileMarkers(draft.error);
    if (runMarker) m[runMarker.script] = [...m[runMarker.script], runMarker.marker];
    return m;
  }, [draft.error, runMarker]);
  const saved = scriptsOf(props.rules);
  const dirty = text.outgoing !== saved.outgoing || text.incoming !== saved.incoming;

  const submit = async (publish: boolean) => {
    setRunMarker(null);
    await draft.save(text, publish);
  };

  const compileFailed = markers.outgoing.length + markers.incoming.length > 0;
  return (
    <div class={`script-rules${prefs.fullWidth ? ' full-width' : ''}`}>
      <p class="hint">
        <strong>Outgoing</strong> fills <code>replica</code> from <code>entity</code>;{' '}
        <strong>incoming</strong> changes <code>entity</code> from <code>replica</code>, <code>previous</code>{' '}
        and <code>firstSync</code>. Helpers: <code>helpers.comments.merge</code>,{' '}
        <code>helpers.map(value, table, fallback)</code>.
      </p>
      <fieldset class="editor-options">
        <legend class="sr-only">Editor layout</legend>
        <label class="check">
          <input
            type="checkbox"
            checked={prefs.fullWidth}
            onChange={(e) => setPrefs({ fullWidth: e.currentTarget.checked })}
          />
          Full width
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={prefs.wrap}
            onChange={(e) => setPrefs({ wrap: e.currentTarget.checked })}
          />
          Wrap lines
        </label>
      </fieldset>
      <div class="editor-pair">
        {SCRIPTS.map((s) => (
          <div key={s.script}>
            <h3 id={`${s.script}-label`}>{s.title}</h3>
            <p class="muted small">{s.says(props.connection.remoteName)}</p>
            <CodeEditor
              id={s.script}
              label={s.label}
              value={text[s.script]}
              onChange={(value) => setText((cur) => ({ ...cur, [s.script]: value }))}
              markers={markers[s.script]}
              focusLine={jump.script === s.script ? jump.line : undefined}
              wrap={prefs.wrap}
            />
          </div>
        ))}
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
        <Problem error={draft.error} title="Not saved" />
      )}
      <DraftBar
        busy={draft.busy}
        onSave={(publish) => void submit(publish)}
        savedAs={draft.savedAs}
        dirty={dirty}
      />
      <Can need="rules">
        <TestRun
          connectionId={props.connection.id}
          onFailure={setRunMarker}
          editor={{ ruleSet: text, state: dirty ? 'unsaved' : props.rules.draft ? 'draft' : 'published' }}
        />
      </Can>
    </div>
  );
}
