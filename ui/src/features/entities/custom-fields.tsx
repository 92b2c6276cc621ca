// An entity's custom fields, each editable (text as it is, other values as JSON), and a field added by name.
import { useState } from 'preact/hooks';
import type { ApiError } from '../../api.ts';
import { issueFor } from '../../components/ui.tsx';

export function CustomFields(props: {
  values: Record<string, string>;
  names: readonly string[];
  /** Values seen per field name, offered as suggestions. */
  known: Map<string, (string | number)[]>;
  onChange: (values: Record<string, string>) => void;
  error: ApiError | undefined;
  /** Prefix of the inputs' ids (`ent`: `ent-custom-<name>`, `ent-new-field`). */
  idPrefix?: string;
}) {
  const pre = props.idPrefix ?? 'ent';
  const [name, setName] = useState('');
  const add = () => {
    const n = name.trim();
    if (!n || Object.hasOwn(props.values, n)) return;
    props.onChange({ ...props.values, [n]: '' });
    setName('');
  };
  return (
    <fieldset class="custom-fields">
      <legend>Custom fields</legend>
      {props.names.length === 0 ? <p class="muted">None yet.</p> : null}
      {props.names.map((n) => {
        const id = `${pre}-custom-${n.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        const seen = props.known.get(n) ?? [];
        const error = issueFor(props.error, n);
        return (
          <div class={`field${error ? ' has-error' : ''}`} key={n}>
            <label for={id}>{n}</label>
            <input
              id={id}
              list={seen.length ? `${id}-values` : undefined}
              value={props.values[n] ?? ''}
              onInput={(e) => props.onChange({ ...props.values, [n]: e.currentTarget.value })}
            />
            {seen.length ? (
              <datalist id={`${id}-values`}>
                {seen.map((v) => (
                  <option key={String(v)} value={String(v)} />
                ))}
              </datalist>
            ) : null}
            {error ? (
              <p class="field-error" role="alert">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      <div class="add-field">
        <label for={`${pre}-new-field`}>New field</label>
        <input
          id={`${pre}-new-field`}
          value={name}
          placeholder="Field name"
          onInput={(e) => setName(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add} disabled={!name.trim()}>
          Add field
        </button>
      </div>
    </fieldset>
  );
}
