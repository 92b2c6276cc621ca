// Version history of a connection's rules: each published version with its time and origin, what it changed
// against the one before (a line diff), and roll back (publishes that version's rules as a new version).

import { useState } from 'preact/hooks';
import { useCan } from '../../access.tsx';
import { client, enc, json, jsonAs, type RulesView } from '../../api.ts';
import { Problem, When, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { lineDiff, rulesText } from './line-diff.ts';

const ORIGIN: Record<string, string> = {
  default: 'the defaults',
  local: 'this side',
  peer: 'the partner',
};

export function RuleVersions(props: {
  connectionId: string;
  /** The current version: the list reloads when it changes. */
  version: number;
  editable: boolean;
  onRolledBack: (r: RulesView) => void;
}) {
  const can = useCan();
  const param = { id: enc(props.connectionId) };
  const versions = useLoad(
    () => json(client.connections[':id'].rules.versions.$get({ param, query: { limit: '50' } })),
    `${props.connectionId}@${props.version}`,
  );
  const [open, setOpen] = useState<number | null>(null);
  const action = useAction();
  const rollBack = async (version: number) => {
    const r = await action.run(() =>
      jsonAs<RulesView>()(
        client.connections[':id'].rules.versions[':version'].rollback.$post({
          param: { ...param, version: String(version) },
        }),
      ),
    );
    if (r) props.onRolledBack(r);
  };
  return (
    <details class="card versions" data-testid="rule-versions">
      <summary>
        <h3 id="versions-title">Version history</h3>
      </summary>
      <Problem error={action.error} title="Not rolled back" />
      <WhenLoaded data={versions.data} error={versions.error}>
        {(v) => (
          <ol class="version-list" aria-labelledby="versions-title">
            {v.items.map((item, i) => {
              const previous = v.items[i + 1];
              const current = item.version === props.version;
              return (
                <li key={item.version} data-version={item.version}>
                  <div class="version-head">
                    <strong>Version {item.version}</strong>
                    {current ? <span class="badge tone-ok">Current</span> : null}
                    <span class="muted">
                      published <When at={item.publishedAt} /> by {ORIGIN[item.origin] ?? item.origin}
                    </span>
                    <span class="actions-inline">
                      {previous ? (
                        <button
                          type="button"
                          class="small"
                          aria-expanded={open === item.version}
                          onClick={() => setOpen(open === item.version ? null : item.version)}
                        >
                          {open === item.version
                            ? 'Hide changes'
                            : `Changes from version ${previous.version}`}
                        </button>
                      ) : null}
                      {props.editable && !current && can('rules') ? (
                        <button
                          type="button"
                          class="small"
                          disabled={action.busy}
                          onClick={() => void rollBack(item.version)}
                        >
                          Roll back to version {item.version}
                        </button>
                      ) : null}
                    </span>
                  </div>
                  {open === item.version && previous ? (
                    <Diff before={rulesText(previous.rules)} after={rulesText(item.rules)} />
                  ) : null}
                </li>
              );
            })}
          </ol>
        )}
      </WhenLoaded>
    </details>
  );
}

function Diff({ before, after }: { before: string; after: string }) {
  const lines = lineDiff(before, after);
  const changed = lines.some((l) => l.kind !== 'same');
  if (!changed) return <p class="muted">No changes.</p>;
  return (
    <section aria-label="Changes">
      <pre class="diff">
        {lines.map((l, i) => (
          <div key={i} class={`diff-${l.kind}`}>
            <span aria-hidden="true">{l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}</span>
            <span class="sr-only">
              {l.kind === 'added' ? 'added: ' : l.kind === 'removed' ? 'removed: ' : ''}
            </span>
            {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
}
