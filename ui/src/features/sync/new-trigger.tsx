// The "Add a trigger" form: an entity type and a query, checked while typed and again by the host.
import { useState } from 'preact/hooks';
import { client, type EntityType, enc, json } from '../../api.ts';
import { Field, issueFor, Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { entityTypeOf, TypeOptions } from '../entities/entity-fields.tsx';
import { checkQuery } from './check-query.ts';

export function NewTrigger(props: { connectionId: string; onCreated: () => Promise<void> }) {
  const [entityType, setEntityType] = useState<EntityType>('incident');
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(true);
  const [touched, setTouched] = useState(false);
  const action = useAction();
  const local = touched ? checkQuery(query) : null;
  const serverIssue =
    issueFor(action.error, 'query') ??
    (action.error?.code.includes('query') ? action.error.message : undefined);
  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (checkQuery(query)) return;
    const r = await action.run(() =>
      json(
        client.connections[':id'].triggers.$post({
          param: { id: enc(props.connectionId) },
          json: { entityType, query: query.trim(), active },
        }),
      ),
    );
    if (r) {
      setQuery('');
      setTouched(false);
      await props.onCreated();
    }
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-trigger-title" noValidate>
      <h3 id="new-trigger-title">Add a trigger</h3>
      <div class="grid-2">
        <Field label="Entity type" id="trigger-type">
          <select
            id="trigger-type"
            value={entityType}
            onChange={(e) => setEntityType(entityTypeOf(e.currentTarget.value) ?? entityType)}
          >
            <TypeOptions />
          </select>
        </Field>
        <label class="check align-end">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          Active
        </label>
      </div>
      <Field
        label="Query"
        id="trigger-query"
        hint={
          <>
            For example <code>priority &lt;= 2 AND status != "closed"</code>
          </>
        }
        error={local ?? serverIssue}
      >
        <input
          id="trigger-query"
          class="mono"
          value={query}
          aria-invalid={local || serverIssue ? 'true' : undefined}
          aria-describedby="trigger-query-hint trigger-query-error"
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setTouched(true);
            if (action.error) action.setError(undefined);
          }}
        />
      </Field>
      {action.error && !serverIssue ? <Problem error={action.error} title="Not added" /> : null}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy || !!local}>
          Add trigger
        </button>
      </div>
    </form>
  );
}
