// The Details form of one entity: summary, description, status, priority; other fields shown as JSON.
import { useEffect, useState } from 'preact/hooks';
import { client, type Entity, enc, json } from '../../api.ts';
import { Field, issueFor, Json, Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { PriorityOptions } from './entity-fields.tsx';

export function EditEntity({ entity, onSaved }: { entity: Entity; onSaved: (e: Entity) => void }) {
  const [summary, setSummary] = useState('');
  const [description, setDescription] = useState('');
  const [status, setStatus] = useState('');
  const [priority, setPriority] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    setSummary(String(entity.fields.summary ?? ''));
    setDescription(String(entity.fields.description ?? ''));
    setStatus(String(entity.fields.status ?? ''));
    setPriority(entity.fields.priority === undefined ? '' : String(entity.fields.priority));
  }, [entity]);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setSaved(false);
    const fields: Record<string, unknown> = { summary, description, status };
    if (priority) fields.priority = Number(priority);
    const r = await action.run(() =>
      json(
        client.entities[':id'].$patch({
          param: { id: enc(entity.id) },
          json: { fields, version: entity.version },
        }),
      ),
    );
    if (r) {
      onSaved(r);
      setSaved(true);
    }
  };
  const custom = Object.entries(entity.fields).filter(
    ([k]) => !['summary', 'description', 'status', 'priority'].includes(k),
  );
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Details</h2>
      <Field label="Summary" id="ent-summary" required error={issueFor(action.error, 'summary')}>
        <input id="ent-summary" required value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
      </Field>
      <Field label="Description" id="ent-description" error={issueFor(action.error, 'description')}>
        <textarea
          id="ent-description"
          rows={5}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <div class="grid-2">
        <Field label="Status" id="ent-status" error={issueFor(action.error, 'status')}>
          <input id="ent-status" value={status} onInput={(e) => setStatus(e.currentTarget.value)} />
        </Field>
        <Field label="Priority" id="ent-priority" error={issueFor(action.error, 'priority')}>
          <select id="ent-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
            <option value="">None</option>
            <PriorityOptions />
          </select>
        </Field>
      </div>
      {custom.length ? (
        <details>
          <summary>Other fields ({custom.length})</summary>
          <Json value={Object.fromEntries(custom)} label="Other fields" />
        </details>
      ) : null}
      <Problem error={action.error} title="Not saved" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save changes'}
        </button>
        {saved ? (
          <span class="saved" role="status">
            Saved
          </span>
        ) : null}
        <span class="muted">
          Updated <When at={entity.updatedAt} />
        </span>
      </div>
    </form>
  );
}
