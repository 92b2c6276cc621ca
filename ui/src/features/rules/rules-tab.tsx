// Rules: the connection's rule set by mode (Script editor, Visual mappings, Basic as a mapping), draft and
// publish, the version history, and after publishing the offer to re-sync the entities already linked.
import { useState } from 'preact/hooks';
import { type Connection, client, enc, jsonAs, type RulesView } from '../../api.ts';
import { WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { BasicRules } from './basic-rules.tsx';
import { ResyncOffer } from './resync.tsx';
import { ScriptRulesEditor } from './script-rules.tsx';
import { RuleVersions } from './versions.tsx';
import { VisualRulesEditor } from './visual-rules.tsx';

export function RulesTab({ connection }: { connection: Connection }) {
  const rules = useLoad(
    () => jsonAs<RulesView>()(client.connections[':id'].rules.$get({ param: { id: enc(connection.id) } })),
    connection.id,
  );
  const [published, setPublished] = useState<number | null>(null);
  const r = rules.data;
  const onSaved = (next: RulesView) => {
    if (r && next.version > r.version) setPublished(next.version);
    rules.setData(next);
  };
  return (
    <section aria-labelledby="rules-title">
      <div class="tab-head">
        <h2 id="rules-title">Rules</h2>
        {r ? (
          <span class="muted">
            {r.published ? `Published version ${r.version}` : 'Not published yet'}
            {r.draft ? (
              <>
                {' · '}
                <span class="badge tone-wait">Unpublished draft</span>
              </>
            ) : null}
          </span>
        ) : null}
      </div>
      <WhenLoaded data={r} error={rules.error}>
        {(r) => (
          <>
            {published === r.version ? (
              <ResyncOffer key={r.version} connectionId={connection.id} version={r.version} />
            ) : null}
            {r.mode === 'script' ? (
              <ScriptRulesEditor connection={connection} rules={r} onSaved={onSaved} />
            ) : r.mode === 'visual' ? (
              <VisualRulesEditor connection={connection} rules={r} onSaved={onSaved} />
            ) : (
              <BasicRules connection={connection} fields={r.published.fields ?? []} />
            )}
            <RuleVersions
              connectionId={connection.id}
              version={r.version}
              editable={r.editable}
              onRolledBack={onSaved}
            />
          </>
        )}
      </WhenLoaded>
    </section>
  );
}
