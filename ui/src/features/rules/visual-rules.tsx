// Visual mode rules: a field mapping table for both sides (direction, value pairs, defaults) and the scope.

import { useEffect, useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import {
  type Connection,
  client,
  ENTITY_TYPES,
  type EntityType,
  enc,
  json,
  type RulesView,
  type VisualScope,
} from '../../api.ts';
import { DraftBar } from '../../components/draft-bar.tsx';
import { Problem } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { typeLabel } from '../entities/entity-fields.tsx';
import { MappingRow } from './mapping-row.tsx';
import { emptyRow, type Row, scopeOf, toMapping, toRows } from './mapping-rows.ts';
import { editedRules, useRulesSave } from './rules-draft.ts';
import { TestRun } from './test-run.tsx';

export function VisualRulesEditor(props: {
  connection: Connection;
  rules: RulesView;
  onSaved: (r: RulesView) => void;
}) {
  const [rows, setRows] = useState<Row[]>(() => toRows(editedRules(props.rules).mappings));
  const [scope, setScope] = useState<VisualScope>(() => scopeOf(editedRules(props.rules).scope));
  const draft = useRulesSave(props.connection.id, props.onSaved);
  const { localName, remoteName } = props.connection;
  const fields = useLoad(
    () =>
      json(
        client.connections[':id'].rules.fields.$get({ param: { id: enc(props.connection.id) }, query: {} }),
      ),
    props.connection.id,
  );
  const known = [...new Set([...(fields.data?.items ?? []).map((f) => f.name), 'type', 'comments'])].sort();

  useEffect(() => {
    const s = editedRules(props.rules);
    setRows(toRows(s.mappings));
    setScope(scopeOf(s.scope));
  }, [props.rules.version, !!props.rules.draft]);

  const update = (key: number, change: Partial<Row>) => {
    draft.clearSaved();
    setRows((cur) => cur.map((r) => (r.key === key ? { ...r, ...change } : r)));
  };
  const add = () => setRows((cur) => [...cur, emptyRow()]);
  const remove = (key: number) => setRows((cur) => cur.filter((r) => r.key !== key));
  const toggleType = (side: 'local' | 'remote', t: EntityType, on: boolean) => {
    draft.clearSaved();
    setScope((cur) => {
      const types = on ? [...new Set([...cur[side].types, t])] : cur[side].types.filter((x) => x !== t);
      return { ...cur, [side]: { types: ENTITY_TYPES.filter((x) => types.includes(x)) } };
    });
  };
  const current = { mappings: rows.filter((x) => x.local.trim() || x.remote.trim()).map(toMapping), scope };
  const savedRules = editedRules(props.rules);
  const dirty =
    JSON.stringify(current) !==
    JSON.stringify({
      mappings: toRows(savedRules.mappings).map(toMapping),
      scope: scopeOf(savedRules.scope),
    });
  const submit = (publish: boolean) => draft.save(current, publish);

  return (
    <div class="visual-rules">
      <p class="hint">
        Each row maps a field of <strong>{localName}</strong> (this side) to a field of{' '}
        <strong>{remoteName}</strong>. The arrow says which way it syncs; value pairs translate values; a
        default fills a value that is missing or has no pair. The other side sees the same table mirrored.
      </p>
      <div class="table-wrap">
        <table class="data mappings">
          <caption class="sr-only">Field mappings</caption>
          <thead>
            <tr>
              <th scope="col">{localName} field</th>
              <th scope="col">Direction</th>
              <th scope="col">{remoteName} field</th>
              <th scope="col">Value pairs</th>
              <th scope="col">Default here</th>
              <th scope="col">Default there</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <MappingRow
                key={r.key}
                row={r}
                index={i}
                localName={localName}
                remoteName={remoteName}
                known={known}
                onChange={(change) => update(r.key, change)}
                onRemove={() => remove(r.key)}
              />
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <button type="button" onClick={add}>
          Add mapping
        </button>
      </p>
      <div class="grid-2">
        {(['local', 'remote'] as const).map((side) => (
          <fieldset key={side} class="scope">
            <legend>Scope: what {side === 'local' ? localName : remoteName} sends</legend>
            {ENTITY_TYPES.map((t) => (
              <label class="check" key={t}>
                <input
                  type="checkbox"
                  checked={scope[side].types.includes(t)}
                  onChange={(e) => toggleType(side, t, e.currentTarget.checked)}
                />
                {typeLabel(t)}
              </label>
            ))}
          </fieldset>
        ))}
      </div>
      <Problem error={draft.error} title="Not saved" />
      <DraftBar
        busy={draft.busy}
        onSave={(publish) => void submit(publish)}
        savedAs={draft.savedAs}
        dirty={dirty}
      />
      <Can need="rules">
        <TestRun
          connectionId={props.connection.id}
          editor={{ ruleSet: current, state: dirty ? 'unsaved' : props.rules.draft ? 'draft' : 'published' }}
        />
      </Can>
    </div>
  );
}
