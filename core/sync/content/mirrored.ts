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
