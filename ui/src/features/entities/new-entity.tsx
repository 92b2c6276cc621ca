// The "New entity" form of the entities list: type, priority, summary, description, status, custom fields.
import { useEffect, useState } from 'preact/hooks';
import { client, type EntityType, json } from '../../api.ts';
import { Field, issueFor, Problem } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { CustomFields } from './custom-fields.tsx';
import { entityTypeOf, TypeOptions } from './entity-fields.tsx';
import { customValues } from './entity-form.ts';
import { pickLists } from './pick-lists.ts';
import { ValuePicker } from './value-picker.tsx';

export function NewEntity({ onCancel }: { onCancel: () => void }) {
  const [type, setType] = useState<EntityType>('incident');
  const [summary, setSummary] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState('new');
  const [priority, setPriority] = useState('3');
  const [custom, setCustom] = useState<Record<string, string>>({});
  const action = useAction();
  // The type's pick-lists: a ServiceNow state is one of the instance's values, not any word typed here.
  const options = useLoad(() => json(client.entities.fields.$get({ query: { type } })), type);
  const { pick } = pickLists(options.data?.items);
  const statuses = pick('status');
  const priorities = pick('priority', [1, 2, 3, 4, 5]);
  // A tracker that takes only its own states starts the form on its first one, not on a word it refuses.
  const firstStatus = statuses.only && !statuses.values.includes(status) ? statuses.values[0] : undefined;
  useEffect(() => {
    if (firstStatus !== undefined) setStatus(firstStatus);
  }, [firstStatus]);
  const submit = async (e: Event) => {
    e.preventDefault();
    const created = await action.run(() =>
      json(
        client.entities.$post({
          json: {
            type,
            fields: { ...customValues(custom), summary, description, status, priority: Number(priority) },
          },
        }),
      ),
    );
    if (created) navigate(`/entities/${created.id}`);
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-entity-title">
      <h2 id="new-entity-title">New entity</h2>
      <div class="grid-2">
        <Field label="Type" id="new-type" required error={issueFor(action.error, 'type')}>
          <select
            id="new-type"
            value={type}
            onChange={(e) => setType(entityTypeOf(e.currentTarget.value) ?? type)}
          >
            <TypeOptions />
          </select>
        </Field>
        <Field label="Priority" id="new-priority" error={issueFor(action.error, 'priority')}>
          <select id="new-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
            {priorities.values.map((p) => (
              <option key={p} value={p}>
                {priorities.labels.get(p) ?? p}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label="Summary" id="new-summary" required error={issueFor(action.error, 'summary')}>
        <input id="new-summary" required value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
      </Field>
      <Field label="Description" id="new-description" error={issueFor(action.error, 'description')}>
        <textarea
          id="new-description"
          rows={4}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <Field label="Status" id="new-status" error={issueFor(action.error, 'status')}>
        <ValuePicker
          id="new-status"
          value={status}
          values={statuses.values}
          labels={statuses.labels}
          only={statuses.only}
          onChange={setStatus}
        />
      </Field>
      <CustomFields
        values={custom}
        names={Object.keys(custom)}
        known={new Map()}
        idPrefix="new"
        onChange={setCustom}
        error={action.error}
      />
      <Problem error={action.error} title="Not created" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
