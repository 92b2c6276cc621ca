// One entity's page: its details form and comments, and beside them where it is synced; refreshed while open.
import { client, enc, json } from '../../api.ts';
import { Page, WhenLoaded } from '../../components/ui.tsx';
import { useLoad } from '../../hooks.ts';
import { href } from '../../router.ts';
import { Attachments } from './attachments.tsx';
import { Comments } from './comments.tsx';
import { EditEntity } from './edit-entity.tsx';
import { typeLabel } from './entity-fields.tsx';
import { SyncStatus } from './sync-status.tsx';

/** How often an open entity page looks for changes made elsewhere (sync, another admin). */
export const ENTITY_POLL_MS = 3000;

export function EntityPage({ id }: { id: string }) {
  const entity = useLoad(
    () => json(client.entities[':id'].$get({ param: { id: enc(id) } })),
    id,
    ENTITY_POLL_MS,
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
              <Comments entity={e} onAdded={entity.setData} />
              <Attachments entity={e} onChanged={() => void entity.reload()} />
            </div>
            <aside class="side-col" aria-label="Sync status">
              <SyncStatus entityId={e.id} version={e.version} />
            </aside>
          </div>
        )}
      </WhenLoaded>
    </Page>
  );
}
