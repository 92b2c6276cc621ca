// After publishing: re-sync the entities already linked on the connection, so they follow the new rules now.
import { useState } from 'preact/hooks';
import { client, enc, json, type List } from '../../api.ts';
import { Problem } from '../../components/ui.tsx';
import { useAction } from '../../hooks.ts';
import { RunProgress } from '../sync/run-progress.tsx';

/** The most entity ids one manual sync takes (POST /api/connections/:id/sync). */
const CHUNK = 1000;

export function ResyncOffer({ connectionId, version }: { connectionId: string; version: number }) {
  const param = { id: enc(connectionId) };
  const action = useAction();
  const [done, setDone] = useState<{ count: number; runIds: string[] } | null>(null);
  const resync = async () => {
    const r = await action.run(async () => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page: List<{ entityId: string }> = await json(
          client.connections[':id'].twins.$get({
            param,
            query: { limit: '1000', ...(cursor ? { cursor } : {}) },
          }),
        );
        ids.push(...page.items.map((t) => t.entityId));
        cursor = page.nextCursor;
      } while (cursor);
      const runIds: string[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const run = await json(
          client.connections[':id'].sync.$post({ param, json: { entityIds: ids.slice(i, i + CHUNK) } }),
        );
        runIds.push(run.runId);
      }
      return { count: ids.length, runIds };
    });
    if (r) setDone(r);
  };
  return (
    <div class="notice resync" role="status" data-testid="resync-offer">
      <p>
        Version {version} is published. It applies to changes from now on; entities already linked keep what
        was sent under the old rules until they change.
      </p>
      {done ? (
        done.count === 0 ? (
          <p>No entities are linked on this connection yet.</p>
        ) : (
          <>
            <p class="saved">
              Re-syncing {done.count} linked {done.count === 1 ? 'entity' : 'entities'}.
            </p>
            {done.runIds.map((id) => (
              <RunProgress key={id} runId={id} />
            ))}
          </>
        )
      ) : (
        <button type="button" class="primary" disabled={action.busy} onClick={() => void resync()}>
          {action.busy ? 'Starting…' : 'Re-sync linked entities now'}
        </button>
      )}
      <Problem error={action.error} title="Re-sync not started" />
    </div>
  );
}
