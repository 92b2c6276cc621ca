// What the engine drops when a connection is deleted: its sync rows; its open errors are resolved, its runs end.
import type { Db } from '../../../storage/schema.ts';
import { forgetContent } from '../content/references.ts';
import { failConnectionRuns } from '../runs.ts';
import { resolvedSet, SYSTEM_ACTOR } from '../sync-errors.ts';

/** Deletes the connection's twins, queues, stream, triggers, comment links and event log in one transaction. */
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
      'sync_event_log',
    ] as const)
      await tx.deleteFrom(t).where('connection_id', '=', id).execute();
    await forgetContent(tx, id);
    await tx
      .updateTable('sync_errors')
      .set(resolvedSet({ by: SYSTEM_ACTOR, how: 'connection_deleted' }))
      .where('connection_id', '=', id)
      .where('status', '=', 'open')
      .execute();
    await failConnectionRuns(tx, id);
  });
}
