// What an apply batch decides about content (attachments, deletions, references), written at its end in one go.
import { inChunks } from '../../../storage/chunks.ts';
import type { SyncAttachmentWantTable } from '../../../storage/content-tables.ts';
import type { DbExecutor } from '../../../storage/schema.ts';

/** Local writes of content sync, made in the batch's transaction (`flushContentWrites`). */
export interface ContentWrites {
  /** Partner attachments to fetch and add once their blob is here. */
  wants: Array<Omit<SyncAttachmentWantTable, 'connection_id'>>;
  /** Wants the partner's rules no longer send (the attachment was removed there before it arrived). */
  dropWants: string[];
  /** Links of partner attachments whose local copy was removed. */
  dropLinks: string[];
  /** Links of local comments deleted because the partner deleted theirs. */
  dropCommentLinks: string[];
  /** Twins whose partner entity was deleted (unlinked, entity kept or deleted by the rules). */
  partnerDeletions: Array<{ local_id: string; remote_id: string; remote_key: string | null; kept: boolean }>;
  /** Events waiting for partner entities they refer to. */
  waits: Array<{ seq: number; missing: string[] }>;
  /** Partner entities that now have a twin here: events waiting for them go on. */
  arrived: string[];
}

export function newContentWrites(): ContentWrites {
  return {
    wants: [],
    dropWants: [],
    dropLinks: [],
    dropCommentLinks: [],
    partnerDeletions: [],
    waits: [],
    arrived: [],
  };
}

export async function flushContentWrites(
  tx: DbExecutor,
  connectionId: string,
  w: ContentWrites,
): Promise<void> {
  if (w.dropWants.length)
    await inChunks(w.dropWants, (chunk) =>
      tx
        .deleteFrom('sync_attachment_wants')
        .where('connection_id', '=', connectionId)
        .where('remote_attachment_id', 'in', chunk)
        .execute(),
    );
  if (w.dropLinks.length)
    await inChunks(w.dropLinks, (chunk) =>
      tx
        .deleteFrom('sync_attachment_links')
        .where('connection_id', '=', connectionId)
        .where('remote_attachment_id', 'in', chunk)
        .execute(),
    );
  if (w.dropCommentLinks.length)
    await inChunks(w.dropCommentLinks, (chunk) =>
      tx
        .deleteFrom('sync_comment_links')
        .where('connection_id', '=', connectionId)
        .where('local_comment_id', 'in', chunk)
        .execute(),
    );
  for (const want of w.wants) {
    // Read before the transaction, the links may be behind: a copy added meanwhile is not wanted again.
    const added = await tx
      .selectFrom('sync_attachment_links')
      .select('local_attachment_id')
      .where('connection_id', '=', connectionId)
      .where('remote_attachment_id', '=', want.remote_attachment_id)
      .executeTakeFirst();
    if (added) continue;
    await tx
      .insertInto('sync_attachment_wants')
      .values({ connection_id: connectionId, ...want })
      .onConflict((oc) => oc.columns(['connection_id', 'remote_attachment_id']).doNothing())
      .execute();
  }
  const now = new Date().toISOString();
  for (const d of w.partnerDeletions) {
    await tx
      .deleteFrom('sync_partner_deletions')
      .where('connection_id', '=', connectionId)
      .where('local_id', '=', d.local_id)
      .execute();
    if (d.kept)
      await tx
        .insertInto('sync_partner_deletions')
        .values({
          connection_id: connectionId,
          local_id: d.local_id,
          remote_id: d.remote_id,
          remote_key: d.remote_key,
          deleted_at: now,
        })
        .execute();
  }
  await flushReferenceWaits(tx, connectionId, w);
}

/** Parks waiting events (status `waiting`, the first time they waited kept) and frees those whose item arrived. */
export async function flushReferenceWaits(
  tx: DbExecutor,
  connectionId: string,
  w: ContentWrites,
): Promise<void> {
  const now = new Date().toISOString();
  for (const { seq, missing } of w.waits) {
    for (const missingId of missing)
      await tx
        .insertInto('sync_reference_waits')
        .values({ connection_id: connectionId, seq, missing_id: missingId, since: now })
        .onConflict((oc) => oc.columns(['connection_id', 'seq', 'missing_id']).doNothing())
        .execute();
    await tx
      .updateTable('sync_inbox')
      .set({ status: 'waiting' })
      .where('connection_id', '=', connectionId)
      .where('seq', '=', seq)
      .where('status', '=', 'pending')
      .execute();
  }
  if (w.arrived.length === 0) return;
  const freed = await inChunks([...new Set(w.arrived)], (chunk) =>
    tx
      .selectFrom('sync_reference_waits')
      .select('seq')
      .where('connection_id', '=', connectionId)
      .where('missing_id', 'in', chunk)
      .execute(),
  );
  if (freed.length === 0) return;
  const seqs = [...new Set(freed.map((r) => r.seq))];
  await inChunks([...new Set(w.arrived)], (chunk) =>
    tx
      .deleteFrom('sync_reference_waits')
      .where('connection_id', '=', connectionId)
      .where('missing_id', 'in', chunk)
      .execute(),
  );
  // The event runs its rule again: still missing something, it waits again (since kept for the rest).
  await inChunks(seqs, (chunk) =>
    tx
      .updateTable('sync_inbox')
      .set({ status: 'pending' })
      .where('connection_id', '=', connectionId)
      .where('seq', 'in', chunk)
      .where('status', '=', 'waiting')
      .execute(),
  );
}
