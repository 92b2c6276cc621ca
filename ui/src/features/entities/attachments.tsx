// The attachments of one entity: drop files or pick them, watch each upload's progress, download, delete (confirmed).
import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { ApiError, apiUrl, client, type Entity, enc, json } from '../../api.ts';
import { Empty, Problem, When } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';

type Attachment = NonNullable<Entity['attachments']>[number];

interface Upload {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'sending' | 'done' | 'failed';
  error?: ApiError | undefined;
}

/** Bytes as people read them: 532 B, 12.4 KB, 48.2 MB. */
export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** Sends one file as the request body with XMLHttpRequest, the one browser API that reports upload progress. */
function send(entityId: string, file: File, internal: boolean, onProgress: (sent: number) => void) {
  const query = `filename=${encodeURIComponent(file.name)}${internal ? '&internal=true' : ''}`;
  const url = `${apiUrl(client.entities[':id'].attachments.$path({ param: { id: enc(entityId) } }))}?${query}`;
  return new Promise<Attachment>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () =>
      reject(new ApiError(0, 'network_error', 'The host cannot be reached. Is it running?', {}));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {}
      if (xhr.status === 201) resolve(body as unknown as Attachment);
      else
        reject(
          new ApiError(
            xhr.status,
            String(body.code ?? `http_${xhr.status}`),
            String(body.detail ?? xhr.statusText),
            body,
          ),
        );
    };
    xhr.send(file);
  });
}

export function Attachments({ entity, onChanged }: { entity: Entity; onChanged: () => void }) {
  const files = entity.attachments ?? [];
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [internal, setInternal] = useState(false);
  const [over, setOver] = useState(false);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const action = useAction();

  const patch = (key: string, change: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  const start = async (picked: FileList | null) => {
    if (!picked?.length) return;
    const batch = [...picked].map((f, i) => ({ file: f, key: `${Date.now()}-${i}-${f.name}` }));
    setUploads((list) => [
      ...list.filter((u) => u.state === 'sending'),
      ...batch.map(({ file, key }) => ({
        key,
        name: file.name,
        size: file.size,
        sent: 0,
        state: 'sending' as const,
      })),
    ]);
    for (const { file, key } of batch) {
      try {
        await send(entity.id, file, internal, (sent) => patch(key, { sent }));
        patch(key, { sent: file.size, state: 'done' });
      } catch (e) {
        patch(key, { state: 'failed', error: e instanceof ApiError ? e : undefined });
      }
    }
    onChanged();
  };

  const remove = async (id: string) => {
    const done = await action.run(async () => {
      await json(client.attachments[':id'].$delete({ param: { id: enc(id) } }));
      return true;
    });
    setConfirming(undefined);
    if (done) onChanged();
  };

  return (
    <section class="card" aria-labelledby="attachments-title">
      <h2 id="attachments-title">Attachments ({files.length})</h2>
      {files.length === 0 ? (
        <Empty>No attachments yet.</Empty>
      ) : (
        <ul class="attachments">
          {files.map((a) => (
            <li key={a.id}>
              <a href={apiUrl(`/attachments/${enc(a.id)}/content`)} download={a.filename}>
                {a.filename}
              </a>{' '}
              <span class="muted">
                {sizeLabel(a.size)} · {a.contentType} · <When at={a.createdAt} />
              </span>
              {a.internal ? <span class="badge tone-off">Internal</span> : null}{' '}
              <Can need="admin">
                {confirming === a.id ? (
                  <span class="confirm">
                    Delete {a.filename}? The partner's copy goes too.{' '}
                    <button
                      type="button"
                      class="danger"
                      onClick={() => void remove(a.id)}
                      disabled={action.busy}
                    >
                      Delete attachment
                    </button>{' '}
                    <button type="button" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    class="quiet"
                    onClick={() => setConfirming(a.id)}
                    aria-label={`Delete ${a.filename}`}
                  >
                    Delete…
                  </button>
                )}
              </Can>
            </li>
          ))}
        </ul>
      )}
      <Problem error={action.error} title="Attachment not deleted" />
      <Can need="admin">
        <fieldset
          class={`drop-zone${over ? ' over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            void start(e.dataTransfer?.files ?? null);
          }}
        >
          <legend class="visually-hidden">Add attachments</legend>
          <p>Drop files here, or</p>
          <label class="button">
            Choose files
            <input
              id="attachment-file"
              type="file"
              multiple
              class="visually-hidden"
              onChange={(e) => {
                void start(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={internal}
              onChange={(e) => setInternal(e.currentTarget.checked)}
            />
            Internal (not sent to partners by default)
          </label>
        </fieldset>
      </Can>
      {uploads.length ? (
        <ul class="uploads" aria-label="Uploads">
          {uploads.map((u) => (
            <li key={u.key}>
              <span>{u.name}</span>{' '}
              <progress
                max={u.size || 1}
                value={u.state === 'done' ? u.size || 1 : u.sent}
                aria-label={`Upload of ${u.name}`}
              />{' '}
              <span class="muted">
                {u.state === 'done'
                  ? `Uploaded · ${sizeLabel(u.size)}`
                  : u.state === 'failed'
                    ? 'Failed'
                    : `${sizeLabel(u.sent)} of ${sizeLabel(u.size)}`}
              </span>
              {u.state === 'failed' ? <Problem error={u.error} title={`${u.name} not uploaded`} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
