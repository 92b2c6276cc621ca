// One entity's page: its details form and comments (the partner's marked), where it is synced and its sync
// history; refreshed while open.
import { client, enc, json } from '../../api.ts';
import { Page, WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import { Attachments } from './attachments.tsx';
import { Comments } from './comments.tsx';
import { EditEntity } from './edit-entity.tsx';
import { typeLabel } from './entity-fields.tsx';
import { SyncHistory } from './sync-history.tsx';
import { SyncStatus } from './sync-status.tsx';

/** How often an open entity page looks for changes made elsewhere (sync, another admin). */
export const ENTITY_POLL_MS = 3000;

export function EntityPage({ id }: { id: string }) {
  const entity = useLoad(
    () => json(client.entities[':id'].$get({ param: { id: enc(id) } })),
    id,
    ENTITY_POLL_MS,
  );
  const sync = useLoad(
    () => json(client.entities[':id'].sync.$get({ param: { id: enc(id) } })),
    id,
    ENTITY_POLL_MS,
  );
  const conns = useLoad(() => json(client.connections.$get({ query: {} })), 'connections');
  const names = new Map((conns.data?.items ?? []).map((c) => [c.id, c.name]));
  const fromPartner = new Map(
    (sync.data?.partnerComments ?? []).map((p) => [p.commentId, names.get(p.connectionId) ?? 'a connection']),
  );
  const e = entity.data;
  return (
    <Page
      title={e ? `${e.key} · ${String(e.fields.summary ?? '')}` : 'Entity'}
      intro={e ? `${typeLabel(e.type)} · version ${e.version}` : undefined}
      actions={<a href={href('/entities')}>All entities</a>}
    >
      <WhenLoaded data={e} error={entity.error}>
        {(e) => (
          <div class="columns">
            <div class="main-col">
              <EditEntity entity={e} onSaved={entity.setData} />
              <Comments entity={e} onAdded={entity.setData} fromPartner={fromPartner} />
              <Attachments entity={e} onChanged={() => void entity.reload()} />
              <SyncHistory entityId={e.id} names={names} pollMs={ENTITY_POLL_MS} />
            </div>
            <aside class="side-col" aria-label="Sync status">
              <SyncStatus entityId={e.id} twins={sync} connections={conns.data?.items} />
            </aside>
          </div>
        )}
      </WhenLoaded>
    </Page>
  );
}
