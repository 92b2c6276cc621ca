// The comments of one entity: add one (public or internal), edit or delete one (each a sync event like any change).
import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { client, type Entity, enc, json } from '../../api.ts';
import { Empty, Field, issueFor, Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';

type Comment = Entity['comments'][number];

function CommentItem(props: {
  entity: Entity;
  c: Comment;
  onChanged: (e: Entity) => void;
  /** The connection's name when the partner wrote it. */
  partner: string | undefined;
}) {
  const { entity, c, onChanged, partner } = props;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [body, setBody] = useState(c.body);
  const action = useAction();
  const param = { id: enc(entity.id), commentId: enc(c.id) };
  const save = async (ev: Event) => {
    ev.preventDefault();
    const r = await action.run(() =>
      json(client.entities[':id'].comments[':commentId'].$patch({ param, json: { body } })),
    );
    if (r) {
      setEditing(false);
      onChanged(r);
    }
  };
  const remove = async () => {
    const r = await action.run(() => json(client.entities[':id'].comments[':commentId'].$delete({ param })));
    if (r) onChanged(r);
  };
  return (
    <li class={`${c.internal ? 'internal' : ''}${partner ? ' from-partner' : ''}`} data-comment={c.id}>
      <div class="comment-meta">
        <strong>{c.author}</strong> · <When at={c.createdAt} />
        {c.internal ? <span class="badge tone-off">Internal</span> : null}
        {partner ? (
          <span class="badge tone-mode" data-from-partner="">
            From partner · {partner}
          </span>
        ) : null}
        {!editing ? (
          <Can need="admin">
            <button
              type="button"
              class="quiet small"
              onClick={() => {
                setBody(c.body);
                setEditing(true);
              }}
            >
              Edit
            </button>
            {confirming ? (
              <span class="confirm">
                Delete this comment? The partner's copy goes too.{' '}
                <button
                  type="button"
                  class="danger small"
                  onClick={() => void remove()}
                  disabled={action.busy}
                >
                  Delete comment
                </button>
                <button type="button" class="small" onClick={() => setConfirming(false)}>
                  Keep it
                </button>
              </span>
            ) : (
              <button type="button" class="quiet small" onClick={() => setConfirming(true)}>
                Delete…
              </button>
            )}
          </Can>
        ) : null}
      </div>
      {editing ? (
        <form class="form" onSubmit={save}>
          <Field label="Comment" id={`comment-edit-${c.id}`} error={issueFor(action.error, 'body')}>
            <textarea
              id={`comment-edit-${c.id}`}
              rows={3}
              value={body}
              onInput={(e) => setBody(e.currentTarget.value)}
            />
          </Field>
          <div class="form-actions">
            <button type="submit" disabled={action.busy || !body.trim() || body === c.body}>
              {action.busy ? 'Saving…' : 'Save comment'}
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p class="comment-body">{c.body}</p>
      )}
      <Problem error={action.error} title="The comment was not changed" />
    </li>
  );
}

export function Comments(props: {
  entity: Entity;
  onAdded: (e: Entity) => void;
  /** Comments the partner wrote (synced in), by comment id: the connection's name. */
  fromPartner?: Map<string, string>;
}) {
  const { entity, onAdded } = props;
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const action = useAction();
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const r = await action.run(() =>
      json(
        client.entities[':id'].comments.$post({ param: { id: enc(entity.id) }, json: { body, internal } }),
      ),
    );
    if (r) {
      onAdded(r);
      setBody('');
      setInternal(false);
    }
  };
  return (
    <section class="card" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments ({entity.comments.length})</h2>
      {entity.comments.length === 0 ? (
        <Empty>No comments yet.</Empty>
      ) : (
        <ol class="comments">
          {entity.comments.map((c) => (
            <CommentItem
              key={c.id}
              entity={entity}
              c={c}
              onChanged={onAdded}
              partner={props.fromPartner?.get(c.id)}
            />
          ))}
        </ol>
      )}
      <Can need="admin">
        <form class="form" onSubmit={submit}>
          <Field label="Add a comment" id="comment-body" error={issueFor(action.error, 'body')}>
            <textarea
              id="comment-body"
              rows={3}
              value={body}
              onInput={(e) => setBody(e.currentTarget.value)}
            />
          </Field>
          <div class="form-actions">
            <label class="check">
              <input
                type="checkbox"
                checked={internal}
                onChange={(e) => setInternal(e.currentTarget.checked)}
              />
              Internal note (not sent to partners by default)
            </label>
            <button type="submit" disabled={action.busy || !body.trim()}>
              {action.busy ? 'Adding…' : 'Add comment'}
            </button>
          </div>
          <Problem error={action.error} title="Comment not added" />
        </form>
      </Can>
    </section>
  );
}
