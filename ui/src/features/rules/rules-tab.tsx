// Rules: the connection's rule set by mode (Script editor, Visual mappings, Basic read-only), draft and publish.
import { type Connection, client, enc, jsonAs, type RulesView } from '../../api.ts';
import { Json, WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { ScriptRulesEditor } from './script-rules.tsx';
import { VisualRulesEditor } from './visual-rules.tsx';

export function RulesTab({ connection }: { connection: Connection }) {
  const rules = useLoad(
    () => jsonAs<RulesView>()(client.connections[':id'].rules.$get({ param: { id: enc(connection.id) } })),
    connection.id,
  );
  const r = rules.data;
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
        {(r) =>
          r.mode === 'script' ? (
            <ScriptRulesEditor connection={connection} rules={r} onSaved={rules.setData} />
          ) : r.mode === 'visual' ? (
            <VisualRulesEditor connection={connection} rules={r} onSaved={rules.setData} />
          ) : (
            <div>
              <p class="notice">
                Basic connections use a fixed mapping that cannot be edited. A different mapping needs a new
                connection in Visual or Script mode.
              </p>
              <Json value={r.published} label="Basic rules" />
            </div>
          )
        }
      </WhenLoaded>
    </section>
  );
}
