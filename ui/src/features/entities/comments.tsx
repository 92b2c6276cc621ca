// The comments of one entity, and the form that adds one (public or internal).

import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { client, type Entity, enc, json } from '../../api.ts';
import { Empty, Field, issueFor, Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';

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
            <li
              key={c.id}
              class={`${c.internal ? 'internal' : ''}${props.fromPartner?.has(c.id) ? ' from-partner' : ''}`}
              data-comment={c.id}
            >
              <div class="comment-meta">
                <strong>{c.author}</strong> · <When at={c.createdAt} />
                {c.internal ? <span class="badge tone-off">Internal</span> : null}
                {props.fromPartner?.has(c.id) ? (
                  <span class="badge tone-mode" data-from-partner="">
                    From partner · {props.fromPartner.get(c.id)}
                  </span>
                ) : null}
              </div>
              <p class="comment-body">{c.body}</p>
            </li>
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
