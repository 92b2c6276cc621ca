// Deletions as sync events: the sender queues one for each twinned entity it deleted; the receiver's rules decide.
import { inChunks } from '../../../storage/chunks.ts';
import { fenceWrite } from '../../cluster/fence.ts';
import type { ConnectionInfo, Replica, RuleCall, RuleResult } from '../../sandbox/sandbox.ts';
import type { Entity, Tracker, WriteContext } from '../../trackers/tracker.ts';
import type { SyncContext } from '../context.ts';
import type { DeleteEvent, SyncEvent } from '../events.ts';
import { fieldPatch, fieldsOf, flatten } from '../flat.ts';
import { parseJson } from '../json.ts';
import { appendOutbox } from '../outbox.ts';
import type { TwinRow, TwinWriter } from '../twins.ts';
import type { ContentWrites } from './content-writes.ts';

/**
 * Entities deleted here that are twinned on the connection: a `delete` event each, and the twin ends here
 * (the entity is gone). Runs after the outgoing step of the same changes; a replay finds no twin and sends nothing.
 */
export async function queueDeletions(ctx: SyncContext, connectionId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // Read outside the transaction: a tracker on this database must not be called while it is held.
  const still = await ctx.tracker.getMany(ids);
  await ctx.db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    const twins = await inChunks(ids, (chunk) =>
      tx
        .selectFrom('sync_twins')
        .select(['local_id', 'remote_id', 'local_replica'])
        .where('connection_id', '=', connectionId)
        .where('local_id', 'in', chunk)
        .execute(),
    );
    if (twins.length === 0) return;
    const deleted = twins.filter((t) => !still.has(t.local_id));
    const events: SyncEvent[] = deleted.map((t) => ({
      kind: 'delete',
      entityId: t.local_id,
      key: String(parseJson<Replica | null>(t.local_replica, null)?.key ?? '') || null,
      twinId: t.remote_id,
    }));
    const localIds = deleted.map((t) => t.local_id);
    if (localIds.length === 0) return;
    await inChunks(localIds, async (chunk) => {
      for (const table of ['sync_comment_links', 'sync_attachment_links', 'sync_attachment_wants'] as const)
        await tx
          .deleteFrom(table)
          .where('connection_id', '=', connectionId)
          .where('entity_id', 'in', chunk)
          .execute();
      await tx
        .deleteFrom('sync_twins')
        .where('connection_id', '=', connectionId)
        .where('local_id', 'in', chunk)
        .execute();
      return [];
    });
    await appendOutbox(tx, connectionId, events);
  });
}

/** The incoming call for a deletion (Script only): the replica applied last, with `deleted: true`. */
export function deletionCall(twin: TwinRow, entity: Entity, connection: ConnectionInfo): RuleCall {
  const previous = parseJson<Replica | null>(twin.remote_replica, null);
  return {
    script: 'incoming',
    replica: { ...(previous ?? {}), deleted: true },
    previous,
    firstSync: false,
    entity: flatten(entity),
    connection,
  };
}

export interface DeletionDeps {
  target: Tracker;
  current: Entity | undefined;
  twin: TwinRow | undefined;
  event: DeleteEvent;
  result: RuleResult | undefined;
  context: WriteContext;
  twinWrites: TwinWriter;
  content: ContentWrites;
  /** Makes a tracker write that must succeed (apply.ts's `written`): a refusal breaks the event. */
  write(request: Parameters<Tracker['write']>[0], context: WriteContext): Promise<Entity | null>;
}

/**
 * The partner deleted its entity. Nothing is deleted here unless the rules say so: Basic and Visual (no
 * rule run) keep the entity and mark the twin deleted at the partner; Script's incoming rule sees
 * `replica.deleted === true` and may call `helpers.entity.delete()` or change fields (close it).
 * Either way the twin ends. Returns a message when the rule failed (the caller records it).
 */
export async function applyDeletion(d: DeletionDeps): Promise<void> {
  const { twin, current, event } = d;
  if (!twin) return; // never twinned here (or unlinked already): nothing to do
  d.twinWrites.delete(twin.local_id);
  let kept = true;
  if (current && d.result?.ok && d.result.script === 'incoming') {
    if (d.result.delete) {
      await d.write({ op: 'delete', id: current.id }, d.context);
      kept = false;
    } else {
      const patch = fieldPatch(fieldsOf(current.fields), d.result.entity);
      if (Object.keys(patch).length)
        await d.write({ op: 'update', id: current.id, fields: patch }, { ...d.context, current });
    }
  }
  d.content.partnerDeletions.push({
    local_id: twin.local_id,
    remote_id: event.entityId,
    remote_key: event.key ?? twin.remote_key,
    kept: kept && current !== undefined,
  });
}
