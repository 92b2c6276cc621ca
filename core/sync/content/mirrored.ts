// Per entity, what content sync keeps beside the twin: mirrored attachments (never sent back), deletions at the partner.
import { inChunks } from '../../../storage/chunks.ts';
import type { DbExecutor } from '../../../storage/schema.ts';

/**
 * Per entity, what must not be sent to the partner as its own: local copies of the partner's attachments
 * (their ids), and the content of attachments still being added from the partner (`sha:<hash>`: between the
 * copy's add and its link, it would otherwise look like a new local attachment).
 */
export async function mirroredAttachments(
  tx: DbExecutor,
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (entityIds.length === 0) return out;
  const add = (entityId: string, v: string) => {
    const set = out.get(entityId) ?? new Set<string>();
    set.add(v);
    out.set(entityId, set);
  };
  const links = await inChunks(entityIds, (chunk) =>
    tx
      .selectFrom('sync_attachment_links')
      .select(['entity_id', 'local_attachment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  for (const r of links) add(r.entity_id, r.local_attachment_id);
  const wants = await inChunks(entityIds, (chunk) =>
    tx
      .selectFrom('sync_attachment_wants')
      .select(['entity_id', 'sha256'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  for (const w of wants) add(w.entity_id, `sha:${w.sha256}`);
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

/** The blobs a replica's attachments name: recorded as offered to the partner (it may fetch those, no others). */
export async function recordOffers(
  tx: DbExecutor,
  connectionId: string,
  sent: Array<{ entityId: string; attachments: unknown }>,
): Promise<void> {
  const now = new Date().toISOString();
  for (const { entityId, attachments } of sent) {
    if (!Array.isArray(attachments)) continue;
    for (const a of attachments.slice(0, 1000)) {
      const { id, sha256 } = (a ?? {}) as { id?: unknown; sha256?: unknown };
      if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || typeof id !== 'string') continue;
      await tx
        .insertInto('sync_blob_offers')
        .values({
          connection_id: connectionId,
          sha256,
          entity_id: entityId,
          attachment_id: id,
          offered_at: now,
        })
        .onConflict((oc) => oc.columns(['connection_id', 'sha256']).doNothing())
        .execute();
    }
  }
}
