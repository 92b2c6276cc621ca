// Visual mode rules: a field mapping table for both sides (direction, value pairs, defaults) and the scope.
import { useEffect, useState } from 'preact/hooks';
import {
  type Connection,
  ENTITY_TYPES,
  type EntityType,
  enc,
  type Mapping,
  put,
  type RulesView,
  type Scalar,
  type VisualScope,
} from '../api.ts';
import { Problem } from '../components/ui.tsx';
import { useAction } from '../hooks.ts';
import { typeLabel } from '../pages/entities.tsx';
import { TestRun } from './script-rules.tsx';

interface Row {
  key: number;
  local: string;
  remote: string;
  direction: Mapping['direction'];
  values: { from: string; to: string }[];
  default: string;
  remoteDefault: string;
}

const ARROWS: Record<Mapping['direction'], string> = { both: '↔', out: '→', in: '←' };
let nextKey = 1;

const show = (v: Scalar | undefined) => (v === undefined || v === null ? '' : String(v));

/** A typed value: numbers and booleans as such, everything else as text. */
export function scalarOf(text: string): Scalar {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return text;
}

function pairsOf(values: Mapping['values']): Row['values'] {
  if (!values) return [];
  if (Array.isArray(values)) return values.map((v) => ({ from: show(v.local), to: show(v.remote) }));
  return Object.entries(values).map(([from, to]) => ({ from, to: show(to) }));
}

function toRows(mappings: unknown): Row[] {
  if (!Array.isArray(mappings)) return [];
  return (mappings as Mapping[]).map((m) => ({
    key: nextKey++,
    local: m.local ?? '',
    remote: m.remote ?? '',
    direction: m.direction ?? 'both',
    values: pairsOf(m.values),
    default: show(m.default),
    remoteDefault: show(m.remoteDefault),
  }));
}

function toMapping(r: Row): Mapping {
  const m: Mapping = { local: r.local.trim(), remote: r.remote.trim(), direction: r.direction };
  const values = r.values.filter((v) => v.from.trim() || v.to.trim());
  if (values.length) m.values = values.map((v) => ({ local: scalarOf(v.from), remote: scalarOf(v.to) }));
  if (r.default.trim()) m.default = scalarOf(r.default);
  if (r.remoteDefault.trim()) m.remoteDefault = scalarOf(r.remoteDefault);
  return m;
}

function scopeOf(scope: unknown): VisualScope {
  const all = [...ENTITY_TYPES];
  const s = (scope ?? {}) as Partial<VisualScope>;
  return {
    local: { types: s.local?.types ?? all },
    remote: { types: s.remote?.types ?? all },
  };
}

export function VisualRulesEditor(props: {
  connection: Connection;
  rules: RulesView;
  onSaved: (r: RulesView) => void;
}) {
  const source = props.rules.draft ?? props.rules.published ?? {};
  const [rows, setRows] = useState<Row[]>(() => toRows(source.mappings));
  const [scope, setScope] = useState<VisualScope>(() => scopeOf(source.scope));
  const [savedAs, setSavedAs] = useState('');
  const save = useAction();
  const { localName, remoteName } = props.connection;

  useEffect(() => {
    const s = props.rules.draft ?? props.rules.published ?? {};
    setRows(toRows(s.mappings));
    setScope(scopeOf(s.scope));
  }, [props.rules.version, !!props.rules.draft]);

  const update = (key: number, change: Partial<Row>) => {
    setSavedAs('');
    setRows((cur) => cur.map((r) => (r.key === key ? { ...r, ...change } : r)));
  };
  const add = () =>
    setRows((cur) => [
      ...cur,
      {
        key: nextKey++,
        local: '',
        remote: '',
        direction: 'both',
        values: [],
        default: '',
        remoteDefault: '',
      },
    ]);
  const remove = (key: number) => setRows((cur) => cur.filter((r) => r.key !== key));
  const toggleType = (side: 'local' | 'remote', t: EntityType, on: boolean) => {
    setSavedAs('');
    setScope((cur) => {
      const types = on ? [...new Set([...cur[side].types, t])] : cur[side].types.filter((x) => x !== t);
      return { ...cur, [side]: { types: ENTITY_TYPES.filter((x) => types.includes(x)) } };
    });
  };

  const submit = async (publish: boolean) => {
    setSavedAs('');
    const r = await save.run(() =>
      put<RulesView>(`/api/connections/${enc(props.connection.id)}/rules`, {
        mappings: rows.filter((x) => x.local.trim() || x.remote.trim()).map(toMapping),
        scope,
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
              <tr key={r.key} data-mapping={i}>
                <td>
                  <input
                    aria-label={`${localName} field, row ${i + 1}`}
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
                    <option value="out">
                      {ARROWS.out} To {remoteName}
                    </option>
                    <option value="in">
                      {ARROWS.in} From {remoteName}
                    </option>
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`${remoteName} field, row ${i + 1}`}
                    value={r.remote}
                    onInput={(e) => update(r.key, { remote: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <ValuePairs row={r} index={i} onChange={(values) => update(r.key, { values })} />
                </td>
                <td>
                  <input
                    aria-label={`Default here, row ${i + 1}`}
                    class="narrow"
                    value={r.default}
                    onInput={(e) => update(r.key, { default: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Default there, row ${i + 1}`}
                    class="narrow"
                    value={r.remoteDefault}
                    onInput={(e) => update(r.key, { remoteDefault: e.currentTarget.value })}
                  />
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
      <Problem error={save.error} title="Not saved" />
      <div class="form-actions">
        <button type="button" onClick={() => void submit(false)} disabled={save.busy}>
          Save draft
        </button>
        <button type="button" class="primary" onClick={() => void submit(true)} disabled={save.busy}>
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

function ValuePairs({
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
  const n = row.values.length;
  return (
    <details class="value-map" open={n > 0 && n <= 3}>
      <summary>{n ? `${n} pair${n === 1 ? '' : 's'}` : 'None'}</summary>
      <ul>
        {row.values.map((v, i) => (
          <li key={`${row.key}-${i}`}>
            <input
              aria-label={`Value here ${i + 1}, row ${index + 1}`}
              value={v.from}
              onInput={(e) => set(i, { from: e.currentTarget.value })}
            />
            <span aria-hidden="true">{ARROWS[row.direction]}</span>
            <input
              aria-label={`Value there ${i + 1}, row ${index + 1}`}
              value={v.to}
              onInput={(e) => set(i, { to: e.currentTarget.value })}
            />
            <button
              type="button"
              class="quiet"
              onClick={() => onChange(row.values.filter((_, j) => j !== i))}
              aria-label={`Remove pair ${i + 1}, row ${index + 1}`}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <button type="button" class="small" onClick={() => onChange([...row.values, { from: '', to: '' }])}>
        Add pair
      </button>
    </details>
  );
}
