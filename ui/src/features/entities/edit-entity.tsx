// The Details form of one entity: summary, description, status and priority as pick-lists of the tracker's values
// (then those seen), custom fields; it follows the entity as it changes and, when a save meets a newer version,
// re-applies the edit on it.

import { useEffect, useRef, useState } from 'preact/hooks';
import { useCan } from '../../access.tsx';
import { ApiError, client, type Entity, enc, json } from '../../api.ts';
import { Field, issueFor, Problem, When } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { CustomFields } from './custom-fields.tsx';
import { editsOf, type FormValues, formOf, isDirty, patchOf, reapply } from './entity-form.ts';
import { pickLists } from './pick-lists.ts';
import { ValuePicker } from './value-picker.tsx';

export function EditEntity({ entity, onSaved }: { entity: Entity; onSaved: (e: Entity) => void }) {
  // The version the form was loaded from; a save names it, so a change made meanwhile is not overwritten.
  const [base, setBase] = useState(entity);
  const [form, setForm] = useState<FormValues>(() => formOf(entity));
  const [saved, setSaved] = useState('');
  const [conflict, setConflict] = useState(false);
  const action = useAction();
  const options = useLoad(
    () => json(client.entities[':id'].fields.$get({ param: { id: enc(entity.id) } })),
    `${entity.id}:${entity.type}`,
  );
  const dirty = isDirty(formOf(base), form);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  // A newer version arrives (a poll, a comment added): an untouched form follows it; an edited one is kept.
  useEffect(() => {
    if (entity.id !== base.id || !dirtyRef.current) {
      setBase(entity);
      setForm(formOf(entity));
      setConflict(false);
    }
  }, [entity]);

  const set = (change: Partial<FormValues>) => {
    setSaved('');
    setForm((cur) => ({ ...cur, ...change }));
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setSaved('');
    const r = await action.run(() =>
      json(
        client.entities[':id'].$patch({
          param: { id: enc(entity.id) },
          json: { fields: patchOf(base, form), version: base.version },
        }),
      ),
    );
    if (r) {
      setBase(r);
      setForm(formOf(r));
      setConflict(false);
      onSaved(r);
      setSaved('Saved');
    } else setConflict(true);
  };
  const reload = async () => {
    const latest = await action.run(() =>
      json(client.entities[':id'].$get({ param: { id: enc(entity.id) } })),
    );
    if (!latest) return;
    setForm(reapply(formOf(latest), editsOf(formOf(base), form)));
    setBase(latest);
    setConflict(false);
    onSaved(latest);
    setSaved(`Your edit is re-applied on version ${latest.version}: check it and save.`);
  };

  const canEdit = useCan()('admin');
  const moved = dirty && entity.version !== base.version;
  const refused = conflict && action.error instanceof ApiError && action.error.code === 'version_conflict';
  const { offered, pick } = pickLists(options.data?.items);
  const known = new Map([...offered].map(([name, f]) => [name, f.values]));
  const status = pick('status');
  const priority = pick('priority', [1, 2, 3, 4, 5]);
  const custom = Object.keys(form.custom);
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Details</h2>
      {refused || moved ? (
        <div class="notice conflict" role="alert" data-testid="entity-conflict">
          <p>
            {refused
              ? 'This entity was changed elsewhere while you edited it, so your edit was not saved.'
              : `This entity was changed elsewhere (now version ${entity.version}) while you edit it.`}{' '}
            Your edit is kept here.
          </p>
          <button type="button" class="primary" disabled={action.busy} onClick={() => void reload()}>
            Reload and re-apply my edit
          </button>
        </div>
      ) : null}
      {/* Read only for roles that may not change entities: the fields show, nothing can be sent. */}
      <fieldset class="plain" disabled={!canEdit}>
        <Field label="Summary" id="ent-summary" required error={issueFor(action.error, 'summary')}>
          <input
            id="ent-summary"
            required
            value={form.summary}
            onInput={(e) => set({ summary: e.currentTarget.value })}
          />
        </Field>
        <Field label="Description" id="ent-description" error={issueFor(action.error, 'description')}>
          <textarea
            id="ent-description"
            rows={5}
            value={form.description}
            onInput={(e) => set({ description: e.currentTarget.value })}
          />
        </Field>
        <div class="grid-2">
          <Field label="Status" id="ent-status" error={issueFor(action.error, 'status')}>
            <ValuePicker
              id="ent-status"
              value={form.status}
              values={status.values}
              labels={status.labels}
              only={status.only}
              onChange={(value) => set({ status: value })}
            />
          </Field>
          <Field label="Priority" id="ent-priority" error={issueFor(action.error, 'priority')}>
            <select
              id="ent-priority"
              value={form.priority}
              onChange={(e) => set({ priority: e.currentTarget.value })}
            >
              <option value="">None</option>
              {[...new Set([...priority.values, form.priority])].filter(Boolean).map((p) => (
                <option key={p} value={p}>
                  {priority.labels.get(p) ?? p}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <CustomFields
          values={form.custom}
          names={custom}
          known={known}
          onChange={(c) => set({ custom: c })}
          error={action.error}
        />
      </fieldset>
      {refused ? null : <Problem error={action.error} title="Not saved" />}
      <div class="form-actions">
        {canEdit ? (
          <button type="submit" class="primary" disabled={action.busy}>
            {action.busy ? 'Saving…' : 'Save changes'}
          </button>
        ) : null}
        {saved ? (
          <span class="saved" role="status">
            {saved}
          </span>
        ) : dirty ? (
          <span class="muted">Unsaved changes</span>
        ) : null}
        <span class="muted">
          Updated <When at={entity.updatedAt} />
        </span>
      </div>
    </form>
  );
}
