// Edit a connection's name and description on its page (this side only; names are unique on this host).
import { useState } from 'preact/hooks';
import { type Connection, client, enc, json } from '../../api.ts';
import { Field, issueFor, Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';

export function EditDetails({
  connection: c,
  onChanged,
}: {
  connection: Connection;
  onChanged: () => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(c.name);
  const [description, setDescription] = useState(c.description);
  const save = useAction();

  const start = () => {
    setName(c.name);
    setDescription(c.description);
    save.setError(undefined);
    setOpen(true);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await save.run(() =>
      json(
        client.connections[':id'].$patch({
          param: { id: enc(c.id) },
          json: { name: name.trim(), description: description.trim() },
        }),
      ),
    );
    if (r === undefined) return;
    setOpen(false);
    await onChanged();
  };

  if (!open) {
    return (
      <div class="form-actions">
        <button type="button" class="quiet" onClick={start}>
          Edit name and description
        </button>
      </div>
    );
  }
  const taken =
    save.error?.code === 'connection_name_taken' ? 'Another connection has this name.' : undefined;
  return (
    <form class="form" onSubmit={submit} aria-label="Edit name and description">
      <Field label="Connection name" id="edit-name" required error={issueFor(save.error, 'name') ?? taken}>
        <input
          id="edit-name"
          required
          maxLength={200}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </Field>
      <Field label="Description" id="edit-description" error={issueFor(save.error, 'description')}>
        <textarea
          id="edit-description"
          rows={3}
          maxLength={2000}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      {taken ? null : <Problem error={save.error} title="Not saved" />}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={save.busy}>
          {save.busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
