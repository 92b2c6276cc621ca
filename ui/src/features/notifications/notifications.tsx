// Webhook notifications: targets with their events and format, "Send test", each target's delivery log; admins add and remove.
import { useState } from 'preact/hooks';
import { Can } from '../../access.tsx';
import { client, type Delivery, enc, json, type NotificationTarget } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Empty, Field, issueFor, Page, Problem, When } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';

const EVENTS = [
  { id: 'connection.down', label: 'A connection is down', hint: 'after the wait below' },
  { id: 'connection.error', label: 'A connection has an error' },
  { id: 'entity.error', label: 'Entity errors', hint: 'one digest per connection and minute' },
  { id: 'invitation.accepted', label: 'An invitation was accepted' },
  { id: 'run.finished', label: 'A sync run finished' },
] as const;
type EventId = (typeof EVENTS)[number]['id'];

const FORMATS = [
  { id: 'json', label: 'JSON (for your own receiver)' },
  { id: 'slack', label: 'Slack incoming webhook' },
  { id: 'teams', label: 'Microsoft Teams incoming webhook (MessageCard)' },
  { id: 'teams-adaptive', label: 'Microsoft Teams workflow (Adaptive Card)' },
] as const;
type FormatId = (typeof FORMATS)[number]['id'];

function outcome(d: Delivery): string {
  if (d.status === 'delivered') return `Delivered (HTTP ${d.lastStatus})`;
  if (d.status === 'pending') return `Retrying (${d.attempts} attempts so far): ${d.lastError ?? ''}`;
  return `Failed: ${d.lastError ?? 'unknown error'}`;
}

export function Notifications() {
  const targets = useLoad(() => json(client.notifications.$get()), 'notifications');
  return (
    <Page
      title="Notifications"
      intro="Webhooks that tell people when a connection goes down, errors pile up, an invitation is accepted or a run finishes."
    >
      {targets.error ? <Problem error={targets.error} /> : null}
      {targets.data ? (
        targets.data.items.length === 0 ? (
          <Empty>No webhook targets yet.</Empty>
        ) : (
          targets.data.items.map((t) => <TargetCard key={t.id} target={t} onChanged={targets.reload} />)
        )
      ) : null}
      <Can need="admin">
        <NewTarget onAdded={targets.reload} />
      </Can>
    </Page>
  );
}

function TargetCard({
  target: t,
  onChanged,
}: {
  target: NotificationTarget;
  onChanged: () => Promise<void>;
}) {
  const test = useAction();
  const remove = useAction();
  const [result, setResult] = useState<Delivery | null>(null);
  const [showLog, setShowLog] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const send = async () => {
    const d = await test.run(() =>
      json(client.notifications[':id'].test.$post({ param: { id: enc(t.id) } })),
    );
    if (d) setResult(d);
  };
  const drop = async () => {
    const ok = await remove.run(async () => {
      await client.notifications[':id'].$delete({ param: { id: enc(t.id) } });
      return true;
    });
    if (ok) await onChanged();
  };
  return (
    <section class="card" aria-label={`Webhook ${t.url}`} data-target={t.url}>
      <h2>
        <code>{t.url}</code>
      </h2>
      <p class="muted small">
        {FORMATS.find((f) => f.id === t.format)?.label ?? t.format} ·{' '}
        {t.hasSecret ? 'signed (X-Tandem-Signature)' : 'not signed'}
        {t.events.includes('connection.down')
          ? ` · down after ${Math.round(t.downAfterSeconds / 60)} min`
          : ''}
      </p>
      <p>{t.events.map((e) => EVENTS.find((x) => x.id === e)?.label ?? e).join(', ')}</p>
      <Can need="admin">
        <div class="form-actions">
          <button type="button" onClick={() => void send()} disabled={test.busy}>
            {test.busy ? 'Sending…' : 'Send test'}
          </button>
          <button type="button" class="quiet" onClick={() => setShowLog(!showLog)}>
            {showLog ? 'Hide deliveries' : 'Deliveries'}
          </button>
          {confirm ? (
            <span class="confirm">
              Remove this target and its delivery log?{' '}
              <button type="button" class="danger" onClick={() => void drop()} disabled={remove.busy}>
                Remove target
              </button>
              <button type="button" onClick={() => setConfirm(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" class="quiet" onClick={() => setConfirm(true)}>
              Remove…
            </button>
          )}
        </div>
      </Can>
      {result ? (
        <p
          class={result.status === 'delivered' ? 'notice' : 'problem'}
          role="status"
          data-testid="test-result"
        >
          {outcome(result)}
        </p>
      ) : null}
      <Problem error={test.error ?? remove.error} title="The action failed" />
      {showLog ? <Deliveries targetId={t.id} key={result?.id ?? 'log'} /> : null}
    </section>
  );
}

const DELIVERY_COLUMNS: Column<Delivery>[] = [
  { head: 'Queued', cell: (d) => <When at={d.createdAt} /> },
  { head: 'Event', cell: (d) => <code>{d.event}</code> },
  { head: 'Outcome', class: 'wrap', cell: (d) => outcome(d) },
  { head: 'Attempts', class: 'num', cell: (d) => d.attempts },
];

function Deliveries({ targetId }: { targetId: string }) {
  const log = useLoad(
    () => json(client.notifications[':id'].deliveries.$get({ param: { id: enc(targetId) }, query: {} })),
    targetId,
    5000,
  );
  return (
    <DataTable
      caption="Deliveries"
      columns={DELIVERY_COLUMNS}
      rows={log.data?.items}
      error={log.error}
      rowKey={(d) => d.id}
      empty="Nothing sent yet."
    />
  );
}

function NewTarget({ onAdded }: { onAdded: () => Promise<void> }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<EventId[]>(['connection.down', 'connection.error', 'entity.error']);
  const [format, setFormat] = useState<FormatId>('json');
  const [secret, setSecret] = useState('');
  const [downMinutes, setDownMinutes] = useState('5');
  const action = useAction();
  const toggle = (e: EventId) =>
    setEvents(events.includes(e) ? events.filter((x) => x !== e) : [...events, e]);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const t = await action.run(() =>
      json(
        client.notifications.$post({
          json: {
            url: url.trim(),
            events,
            format,
            ...(secret ? { secret } : {}),
            downAfterSeconds: Math.max(10, Math.round(Number(downMinutes) * 60)),
          },
        }),
      ),
    );
    if (!t) return;
    setUrl('');
    setSecret('');
    await onAdded();
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="new-target-title">
      <h2 id="new-target-title">Add a webhook</h2>
      <Field
        label="Webhook URL"
        id="target-url"
        required
        hint="Slack: an incoming webhook URL. Teams: an incoming webhook or a workflow's webhook URL. Tandem posts there and nowhere else."
        error={issueFor(action.error, 'url')}
      >
        <input
          id="target-url"
          type="url"
          required
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </Field>
      <Field label="Format" id="target-format">
        <select
          id="target-format"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value as FormatId)}
        >
          {FORMATS.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
            </option>
          ))}
        </select>
      </Field>
      <fieldset class="event-choices">
        <legend>Events</legend>
        {EVENTS.map((e) => (
          <label key={e.id} class="check">
            <input type="checkbox" checked={events.includes(e.id)} onChange={() => toggle(e.id)} /> {e.label}
            {'hint' in e ? <span class="muted small"> ({e.hint})</span> : null}
          </label>
        ))}
      </fieldset>
      <Field label="Tell when a connection is down for (minutes)" id="target-down">
        <input
          id="target-down"
          type="number"
          min={1}
          step={1}
          value={downMinutes}
          onInput={(e) => setDownMinutes(e.currentTarget.value)}
        />
      </Field>
      <Field
        label="Signing secret"
        id="target-secret"
        hint="Optional. Each body is signed with HMAC-SHA256 in X-Tandem-Signature; the secret is stored encrypted and never shown again."
      >
        <input
          id="target-secret"
          type="password"
          autoComplete="off"
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
      </Field>
      <Problem error={action.error} title="Not added" />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={action.busy || events.length === 0}>
          Add webhook
        </button>
      </div>
    </form>
  );
}
