// What the engine drops when a connection is deleted: its sync rows; its open errors are resolved.
import type { Db } from '../../../storage/schema.ts';
import { forgetContent } from '../content/references.ts';

/** Deletes the connection's twins, queues, stream, triggers and comment links in one transaction. */
export async function forgetConnection(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const t of [
      'sync_twins',
      'sync_outbox',
      'sync_inbox',
      'sync_streams',
      'sync_triggers',
      'sync_comment_links',
      'sync_apply_journal',
      'sync_apply_versions',
    ] as const)
      await tx.deleteFrom(t).where('connection_id', '=', id).execute();
    await forgetContent(tx, id);
    await tx
      .updateTable('sync_errors')
      .set({ status: 'resolved', resolved_at: new Date().toISOString() })
      .where('connection_id', '=', id)
      .where('status', '=', 'open')
      .execute();
  });
}
