// Visual mode rules: a field mapping table for both sides (direction, value maps, defaults) and the scope.
import { useEffect, useState } from 'preact/hooks';
import { type Connection, enc, type Mapping, put, type RulesView } from '../api.ts';
import { Field, Problem } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { TestRun } from './script-rules.tsx';

interface Row {
  key: number;
  local: string;
  remote: string;
  direction: Mapping['direction'];
  values: { from: string; to: string }[];
  default: string;
}

const ARROWS: Record<Mapping['direction'], string> = { both: '↔', out: '→', in: '←' };
let nextKey = 1;

function toRows(mappings: unknown): Row[] {
  if (!Array.isArray(mappings)) return [];
  return (mappings as Mapping[]).map((m) => ({
    key: nextKey++,
    local: m.local ?? '',
    remote: m.remote ?? '',
    direction: m.direction ?? 'both',
    values: Object.entries(m.values ?? {}).map(([from, to]) => ({ from, to: String(to) })),
    default: m.default === undefined || m.default === null ? '' : String(m.default),
  }));
}

function toMapping(r: Row): Mapping {
  const m: Mapping = { local: r.local.trim(), remote: r.remote.trim(), direction: r.direction };
  const values = r.values.filter((v) => v.from.trim());
  if (values.length) m.values = Object.fromEntries(values.map((v) => [v.from.trim(), v.to]));
  if (r.default.trim()) {
    const d = r.default.trim();
    m.default = /^-?\d+(\.\d+)?$/.test(d) ? Number(d) : d;
  }
  return m;
}

function scopeText(scope: unknown): string {
  if (scope === undefined || scope === null) return '';
  return typeof scope === 'string' ? scope : JSON.stringify(scope, null, 2);
}

export function VisualRulesEditor(props: {
  connection: Connection;
  rules: RulesView;
  onSaved: (r: RulesView) => void;
}) {
  const source = props.rules.draft ?? props.rules.published ?? {};
  const [rows, setRows] = useState<Row[]>(() => toRows(source.mappings));
  const [scope, setScope] = useState(scopeText(source.scope));
  const [savedAs, setSavedAs] = useState('');
  const save = useAction();
  const scopeIsJson = typeof source.scope === 'object' && source.scope !== null;

  useEffect(() => {
    const s = props.rules.draft ?? props.rules.published ?? {};
    setRows(toRows(s.mappings));
    setScope(scopeText(s.scope));
  }, [props.rules.version, !!props.rules.draft]);

  const update = (key: number, change: Partial<Row>) => {
    setSavedAs('');
    setRows((cur) => cur.map((r) => (r.key === key ? { ...r, ...change } : r)));
  };
  const add = () =>
    setRows((cur) => [
      ...cur,
      { key: nextKey++, local: '', remote: '', direction: 'both', values: [], default: '' },
    ]);
  const remove = (key: number) => setRows((cur) => cur.filter((r) => r.key !== key));

  let scopeError = '';
  let scopeValue: unknown = scope.trim();
  if (scopeIsJson || scope.trim().startsWith('{')) {
    try {
      scopeValue = scope.trim() ? JSON.parse(scope) : {};
    } catch {
      scopeError = 'The scope is not valid JSON';
    }
  }

  const submit = async (publish: boolean) => {
    setSavedAs('');
    const r = await save.run(() =>
      put<RulesView>(`/api/connections/${enc(props.connection.id)}/rules`, {
        mappings: rows.filter((r) => r.local.trim() || r.remote.trim()).map(toMapping),
        scope: scopeValue,
        publish,
      }),
    );
    if (r) {
      props.onSaved(r);
      setSavedAs(publish ? `Published version ${r.version}` : 'Draft saved');
    }
  };

  return (
    <div class="visual-rules">
      <p class="hint">
        Each row maps a field on {props.connection.localName} (local) to a field on{' '}
        {props.connection.remoteName} (remote). The arrow says which way it syncs.
      </p>
      <div class="table-wrap">
        <table class="data mappings">
          <caption class="sr-only">Field mappings</caption>
          <thead>
            <tr>
              <th scope="col">Local field ({props.connection.localName})</th>
              <th scope="col">Direction</th>
              <th scope="col">Remote field ({props.connection.remoteName})</th>
              <th scope="col">Default</th>
              <th scope="col">Value map</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.key} data-mapping={i}>
                <td>
                  <input
                    aria-label={`Local field, row ${i + 1}`}
                    value={r.local}
                    onInput={(e) => update(r.key, { local: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Direction, row ${i + 1}`}
                    value={r.direction}
                    onChange={(e) =>
                      update(r.key, { direction: e.currentTarget.value as Mapping['direction'] })
                    }
                  >
                    <option value="both">{ARROWS.both} Both ways</option>
                    <option value="out">{ARROWS.out} Outgoing only</option>
                    <option value="in">{ARROWS.in} Incoming only</option>
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`Remote field, row ${i + 1}`}
                    value={r.remote}
                    onInput={(e) => update(r.key, { remote: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Default value, row ${i + 1}`}
                    class="narrow"
                    value={r.default}
                    onInput={(e) => update(r.key, { default: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <ValueMap row={r} index={i} onChange={(values) => update(r.key, { values })} />
                </td>
                <td>
                  <button
                    type="button"
                    class="quiet"
                    onClick={() => remove(r.key)}
                    aria-label={`Remove row ${i + 1}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={add}>
        Add mapping
      </button>
      <Field
        label="Scope"
        id="visual-scope"
        hint="Which entities this connection syncs."
        error={scopeError || undefined}
      >
        <textarea
          id="visual-scope"
          class="mono"
          rows={scopeIsJson ? 4 : 2}
          value={scope}
          onInput={(e) => setScope(e.currentTarget.value)}
        />
      </Field>
      <Problem error={save.error} title="Not saved" />
      <div class="form-actions">
        <button type="button" onClick={() => void submit(false)} disabled={save.busy || !!scopeError}>
          Save draft
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => void submit(true)}
          disabled={save.busy || !!scopeError}
        >
          Publish
        </button>
        {savedAs ? (
          <span class="saved" role="status">
            {savedAs}
          </span>
        ) : null}
      </div>
      <TestRun connectionId={props.connection.id} />
    </div>
  );
}

function ValueMap({
  row,
  index,
  onChange,
}: {
  row: Row;
  index: number;
  onChange: (v: Row['values']) => void;
}) {
  const set = (i: number, change: Partial<{ from: string; to: string }>) =>
    onChange(row.values.map((v, j) => (j === i ? { ...v, ...change } : v)));
  return (
    <details class="value-map">
      <summary>
        {row.values.length ? `${row.values.length} value${row.values.length === 1 ? '' : 's'}` : 'None'}
      </summary>
      <ul>
        {row.values.map((v, i) => (
          <li key={i}>
            <input
              aria-label={`Local value ${i + 1}, row ${index + 1}`}
              value={v.from}
              onInput={(e) => set(i, { from: e.currentTarget.value })}
            />
            <span aria-hidden="true">{ARROWS[row.direction]}</span>
            <input
              aria-label={`Remote value ${i + 1}, row ${index + 1}`}
              value={v.to}
              onInput={(e) => set(i, { to: e.currentTarget.value })}
            />
            <button
              type="button"
              class="quiet"
              onClick={() => onChange(row.values.filter((_, j) => j !== i))}
              aria-label={`Remove value ${i + 1}`}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <button type="button" class="small" onClick={() => onChange([...row.values, { from: '', to: '' }])}>
        Add value
      </button>
    </details>
  );
}
