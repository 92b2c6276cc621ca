// Triggers: which entities a connection syncs (a query per type), edited in place with how many match now,
// active toggle, and bulk sync with progress.

import { useState } from 'preact/hooks';
import { Can, useCan } from '../../access.tsx';
import { type Connection, client, enc, json, type Trigger } from '../../api.ts';
import { type Column, DataTable } from '../../components/data-table.tsx';
import { Problem } from '../../components/ui.tsx';
import { useAction, useLoad } from '../../hooks.ts';
import { typeLabel } from '../entities/entity-fields.tsx';
import { NewTrigger, TriggerForm } from './new-trigger.tsx';
import { RunProgress } from './run-progress.tsx';

/** A trigger's latest bulk sync, read from the host (so it is there when you come back to the page). */
function LastRun({ triggerId, started }: { triggerId: string; started: number }) {
  const last = useLoad(
    () => json(client.runs.$get({ query: { triggerId, limit: '1' } })),
    `${triggerId}:${started}`,
  );
  const run = last.data?.items[0];
  return run ? <RunProgress key={run.id} runId={run.id} /> : null;
}

export function TriggersTab({ connection }: { connection: Connection }) {
  const triggers = useLoad(
    () => json(client.connections[':id'].triggers.$get({ param: { id: enc(connection.id) } })),
    connection.id,
  );
  const action = useAction();
  const can = useCan();
  /** Bumped by a bulk sync started here, so each trigger's last run is read again at once. */
  const [started, setStarted] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);

  const toggle = async (t: Trigger) => {
    const r = await action.run(() =>
      json(client.triggers[':id'].$patch({ param: { id: enc(t.id) }, json: { active: !t.active } })),
    );
    if (r) await triggers.reload();
  };
  const remove = async (t: Trigger) => {
    const r = await action.run(async () => {
      await client.triggers[':id'].$delete({ param: { id: enc(t.id) } });
      return true;
    });
    if (r) await triggers.reload();
  };
  const bulk = async (t: Trigger) => {
    const r = await action.run(() =>
      json(client.triggers[':id']['bulk-sync'].$post({ param: { id: enc(t.id) } })),
    );
    if (r) setStarted((n) => n + 1);
  };

  const columns: Column<Trigger>[] = [
    { head: 'Entity type', cell: (t) => typeLabel(t.entityType) },
    {
      head: 'Query',
      class: 'wrap',
      cell: (t) => (
        <>
          <code>{t.query}</code>
          <LastRun triggerId={t.id} started={started} />
        </>
      ),
    },
    {
      head: 'Active',
      cell: (t) => (
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            aria-checked={t.active}
            checked={t.active}
            disabled={action.busy || !can('rules')}
            onChange={() => void toggle(t)}
            aria-label={`Trigger on ${typeLabel(t.entityType)} active`}
          />
          <span>{t.active ? 'Active' : 'Inactive'}</span>
        </label>
      ),
    },
    {
      head: 'Actions',
      class: 'links',
      cell: (t) => (
        <Can need="rules">
          <button type="button" onClick={() => setEditing(t.id)} disabled={editing === t.id}>
            Edit
          </button>
          <button type="button" onClick={() => void bulk(t)} disabled={action.busy}>
            Bulk sync
          </button>
          <button type="button" class="quiet" onClick={() => void remove(t)} disabled={action.busy}>
            Delete
          </button>
        </Can>
      ),
    },
  ];

  return (
    <section aria-labelledby="triggers-title">
      <div class="tab-head">
        <h2 id="triggers-title">Triggers</h2>
      </div>
      <p class="hint">
        An entity that matches an active trigger is synced automatically whenever it changes. Bulk sync sends
        everything that matches now.
      </p>
      <Problem error={action.error} title="The action failed" />
      <DataTable
        caption="Triggers"
        columns={columns}
        rows={triggers.data?.items}
        error={triggers.error}
        rowKey={(t) => t.id}
        rowAttrs={(t) => ({ 'data-trigger': t.id })}
        empty="No triggers yet. Nothing syncs automatically until you add one."
      />
      {editing && triggers.data?.items.some((t) => t.id === editing) ? (
        <TriggerForm
          key={editing}
          connectionId={connection.id}
          trigger={triggers.data.items.find((t) => t.id === editing)!}
          onDone={async () => {
            setEditing(null);
            await triggers.reload();
          }}
          onCancel={() => setEditing(null)}
          onBulk={bulk}
        />
      ) : null}
      <Can need="rules">
        <NewTrigger connectionId={connection.id} onCreated={triggers.reload} />
      </Can>
    </section>
  );
}
