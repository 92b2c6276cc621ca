// General settings: the node's name and public URL (editable), its id and key fingerprint (read-only), its
// processes, its tracker.
import { useEffect, useState } from 'preact/hooks';
import { useCan } from '../../access.tsx';
import { client, json } from '../../api.ts';
import { Field, issueFor, Page, Problem, WhenLoaded } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { ProcessesSection } from './processes.tsx';
import { TrackerSection } from './tracker-section.tsx';

export function Settings({ onSaved }: { onSaved: () => Promise<void> }) {
  const node = useLoad(() => json(client.node.$get()), 'node');
  const [name, setName] = useState('');
  const [publicUrl, setPublicUrl] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const canEdit = useCan()('admin');
  useEffect(() => {
    if (!node.data) return;
    setName(node.data.name);
    setPublicUrl(node.data.publicUrl ?? '');
  }, [node.data]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const r = await action.run(() =>
      json(client.node.$patch({ json: { name: name.trim(), publicUrl: publicUrl.trim() || null } })),
    );
    if (r) {
      node.setData(r);
      setSaved(true);
      await onSaved();
    }
  };

  return (
    <Page title="General settings" intro="How this node introduces itself to partners.">
      <WhenLoaded data={node.data} error={node.error}>
        {(n) => (
          <>
            <form class="card form" onSubmit={submit}>
              <fieldset class="plain" disabled={!canEdit}>
                <Field label="Node name" id="node-name" required error={issueFor(action.error, 'name')}>
                  <input
                    id="node-name"
                    required
                    maxLength={100}
                    value={name}
                    onInput={(e) => {
                      setName(e.currentTarget.value);
                      setSaved(false);
                    }}
                  />
                </Field>
                <Field
                  label="Public URL"
                  id="public-url"
                  hint="The address partners use to reach this host. Leave empty when this host is private; it then dials out."
                  error={issueFor(action.error, 'publicUrl')}
                >
                  <input
                    id="public-url"
                    type="url"
                    placeholder="https://tandem.example.com"
                    value={publicUrl}
                    onInput={(e) => {
                      setPublicUrl(e.currentTarget.value);
                      setSaved(false);
                    }}
                  />
                </Field>
              </fieldset>
              <Problem error={action.error} title="Not saved" />
              <div class="form-actions">
                {canEdit ? (
                  <button type="submit" class="primary" disabled={action.busy}>
                    {action.busy ? 'Saving…' : 'Save'}
                  </button>
                ) : (
                  <span class="muted">Only an admin changes these settings.</span>
                )}
                {saved ? (
                  <span class="saved" role="status">
                    Saved
                  </span>
                ) : null}
              </div>
            </form>
            <dl class="card facts">
              <dt>Node id</dt>
              <dd>
                <code>{n.nodeId}</code>
              </dd>
              <dt>Key fingerprint</dt>
              <dd>
                <code class="fingerprint">{n.fingerprint}</code>
              </dd>
              <dt>Version</dt>
              <dd>{n.version}</dd>
            </dl>
            <ProcessesSection processes={n.processes} />
          </>
        )}
      </WhenLoaded>
      <TrackerSection />
    </Page>
  );
}
