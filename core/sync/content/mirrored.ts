// Per entity, what content sync keeps beside the twin: mirrored attachments (never sent back), deletions at the partner.
import { inChunks } from '../../../storage/chunks.ts';
import type { DbExecutor } from '../../../storage/schema.ts';

export async function mirroredAttachments(
  tx: DbExecutor,
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, Set<string>>> {
  const rows = await inChunks(entityIds, (chunk) =>
    tx
      .selectFrom('sync_attachment_links')
      .select(['entity_id', 'local_attachment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.entity_id) ?? new Set<string>();
    set.add(r.local_attachment_id);
    out.set(r.entity_id, set);
  }
  return out;
}

/** Of these entities, those whose twin's partner entity was deleted (kept here, unlinked). */
export async function deletedAtPartner(
  db: DbExecutor,
  connectionId: string,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await inChunks(ids, (chunk) =>
    db
      .selectFrom('sync_partner_deletions')
      .select('local_id')
      .where('connection_id', '=', connectionId)
      .where('local_id', 'in', chunk)
      .execute(),
  );
  return new Set(rows.map((r) => r.local_id));
}

/** A manual sync links the entity again: it is no longer "deleted at partner". */
export async function forgetPartnerDeletions(
  tx: DbExecutor,
  connectionId: string,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  await inChunks(ids, (chunk) =>
    tx
      .deleteFrom('sync_partner_deletions')
      .where('connection_id', '=', connectionId)
      .where('local_id', 'in', chunk)
      .execute(),
  );
}

/** An entity's twins ended by a deletion at the partner, as the entity's sync list shows them. */
export async function partnerDeletionsOf(db: DbExecutor, entityId: string) {
  const rows = await db
    .selectFrom('sync_partner_deletions')
    .selectAll()
    .where('local_id', '=', entityId)
    .execute();
  return rows.map((r) => ({
    connectionId: r.connection_id,
    remoteId: r.remote_id,
    remoteKey: r.remote_key,
    lastSyncedAt: r.deleted_at,
    localReplica: null,
    remoteReplica: null,
    status: 'unlinked' as const,
    manual: false,
    deletedAtPartner: true,
  }));
}
