// The trigger form, to add one or edit one: an entity type and a query, checked while typed and again by the
// host, with how many entities match now; an edited trigger can be saved and bulk synced from here.
import { useState } from 'preact/hooks';
import { client, type EntityType, enc, json, type Trigger } from '../../api.ts';
import { Field, issueFor, Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { entityTypeOf, TypeOptions } from '../entities/entity-fields.tsx';
import { checkQuery } from './check-query.ts';
import { MatchPreview, useMatchPreview } from './match-preview.tsx';

export function NewTrigger(props: { connectionId: string; onCreated: () => Promise<void> }) {
  return <TriggerForm connectionId={props.connectionId} onDone={props.onCreated} />;
}

export function TriggerForm(props: {
  connectionId: string;
  /** The trigger edited; without it the form adds one. */
  trigger?: Trigger;
  onDone: () => Promise<void>;
  onCancel?: () => void;
  /** Edit only: bulk sync the saved trigger (after saving the form). */
  onBulk?: (t: Trigger) => Promise<void>;
}) {
  const t = props.trigger;
  const [entityType, setEntityType] = useState<EntityType>(entityTypeOf(t?.entityType ?? '') ?? 'incident');
  const [query, setQuery] = useState(t?.query ?? '');
  const [active, setActive] = useState(t?.active ?? true);
  const [touched, setTouched] = useState(!!t);
  const action = useAction();
  const local = touched ? checkQuery(query) : null;
  const preview = useMatchPreview(entityType, query, touched && !checkQuery(query));
  const serverIssue =
    issueFor(action.error, 'query') ??
    (action.error?.code.includes('query') ? action.error.message : undefined);
  const idp = t ? `trigger-${t.id}` : 'trigger';
  const save = async (): Promise<Trigger | undefined> => {
    setTouched(true);
    if (checkQuery(query)) return undefined;
    const body = { entityType, query: query.trim(), active };
    return action.run(() =>
      t
        ? json(client.triggers[':id'].$patch({ param: { id: enc(t.id) }, json: body }))
        : json(
            client.connections[':id'].triggers.$post({ param: { id: enc(props.connectionId) }, json: body }),
          ),
    );
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await save();
    if (!r) return;
    if (!t) {
      setQuery('');
      setTouched(false);
    }
    await props.onDone();
  };
  const saveAndBulk = async () => {
    const r = await save();
    if (r && props.onBulk) await props.onBulk(r);
    if (r) await props.onDone();
  };
  const title = t ? 'Edit the trigger' : 'Add a trigger';
  return (
    <form class="card form trigger-form" onSubmit={submit} aria-labelledby={`${idp}-title`} noValidate>
      <h3 id={`${idp}-title`}>{title}</h3>
      <div class="grid-2">
        <Field label="Entity type" id={`${idp}-type`}>
          <select
            id={`${idp}-type`}
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
        id={`${idp}-query`}
        hint={
          <>
            For example <code>priority &lt;= 2 AND status != "closed"</code>
          </>
        }
        error={local ?? serverIssue}
      >
        <input
          id={`${idp}-query`}
          class="mono"
          value={query}
          aria-invalid={local || serverIssue ? 'true' : undefined}
          aria-describedby={`${idp}-query-hint ${idp}-query-error`}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setTouched(true);
            if (action.error) action.setError(undefined);
          }}
        />
      </Field>
      {local || serverIssue ? null : <MatchPreview match={preview.match} error={preview.error} />}
      {action.error && !serverIssue ? (
        <Problem error={action.error} title={t ? 'Not saved' : 'Not added'} />
      ) : null}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy || !!local}>
          {t ? 'Save trigger' : 'Add trigger'}
        </button>
        {t && props.onBulk ? (
          <button type="button" disabled={action.busy || !!local} onClick={() => void saveAndBulk()}>
            Save and bulk sync{preview.match ? ` ${preview.match.count}` : ''}
          </button>
        ) : null}
        {props.onCancel ? (
          <button type="button" class="quiet" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
