// Outgoing: decides scope, runs the outgoing rule, and appends an event when the replica changed.
import type { ConnectionInfo, Replica, RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { Entity } from '../trackers/tracker.ts';
import { localClocks, replicaClocks } from './conflicts.ts';
import { RULE_BATCH, type SyncContext } from './context.ts';
import { fieldsOf, flatten } from './flat.ts';
import { parseJson, sameJson } from './json.ts';
import { appendOutbox } from './outbox.ts';
import type { RunItem } from './runs.ts';
import { updateStream } from './streams.ts';
import { closeError, recordError } from './sync-errors.ts';
import { listTriggers, triggerMatches } from './triggers.ts';
import { saveTwin, twinByLocal, twinsByLocal } from './twins.ts';

export interface OutgoingOptions {
  program: RuleProgram;
  connection: ConnectionInfo;
  /** Skip the scope test (bulk sync of a trigger's matches, manual sync). */
  force?: boolean;
  /** Mark the twins as synced by hand (they stay in scope whatever the triggers say). */
  manual?: boolean;
  /** Advance the connection's change-feed cursor to this sequence in the same transaction. */
  cursorTo?: number;
}

/** Processes entities for one connection; returns one run item per entity (plus warnings). */
export async function processOutgoing(
  ctx: SyncContext,
  ids: string[],
  opts: OutgoingOptions,
): Promise<RunItem[]> {
  const { db, tracker } = ctx;
  const connectionId = opts.connection.id;
  const entities: Entity[] = [];
  const items: RunItem[] = [];
  for (const id of ids) {
    const e = await tracker.get(id);
    if (e) entities.push(e);
    else items.push({ entityId: id, entityKey: null, action: 'skipped', message: 'entity not found' });
  }
  const twins = await twinsByLocal(
    db,
    connectionId,
    entities.map((e) => e.id),
  );
  const triggers = opts.force ? [] : await listTriggers(db, connectionId, true);
  const inScope = entities.filter(
    (e) => opts.force || twins.has(e.id) || triggers.some((t) => triggerMatches(t, flatten(e))),
  );

  const results: RuleResult[] = [];
  const sandbox = ctx.sandbox();
  if (inScope.length && !sandbox) throw new Error('the sandbox is not available');
  for (let i = 0; i < inScope.length; i += RULE_BATCH) {
    const calls = inScope
      .slice(i, i + RULE_BATCH)
      .map((e) => ({ script: 'outgoing' as const, entity: flatten(e), connection: opts.connection }));
    results.push(...(await sandbox!.run(connectionId, opts.program, calls, ctx.hostApi)));
  }

  await db.transaction().execute(async (tx) => {
    for (const [i, entity] of inScope.entries()) {
      const result = results[i];
      const twin = await twinByLocal(tx, connectionId, entity.id);
      const item = { entityId: entity.id, entityKey: entity.key };
      if (!result || !result.ok || result.script !== 'outgoing') {
        const failure = result && !result.ok ? result.error : undefined;
        const message = failure
          ? `${failure.script} rule failed (${failure.kind}): ${failure.message}`
          : 'the outgoing rule gave no replica';
        await recordError(tx, {
          level: 'entity',
          connectionId,
          direction: 'out',
          entityId: entity.id,
          remoteId: twin?.remote_id ?? null,
          message,
          script: failure?.script ?? 'outgoing',
          scriptLine: failure?.line ?? null,
        });
        if (twin) await saveTwin(tx, connectionId, entity.id, { status: 'error' });
        items.push({ ...item, action: 'error', message });
        continue;
      }
      for (const w of result.warnings) items.push({ ...item, action: 'warning', message: w });
      const replica = await withoutMirroredComments(tx, connectionId, entity.id, result.replica);
      const lastSent = parseJson<Replica | null>(twin?.local_replica, null);
      const manual = opts.manual ? { manual: 1 } : {};
      await closeOutErrors(tx, connectionId, entity.id);
      if (lastSent && sameJson(lastSent, replica)) {
        if (opts.manual || twin?.status === 'error')
          await saveTwin(tx, connectionId, entity.id, {
            ...manual,
            status: twin?.remote_id ? 'synced' : 'pending',
          });
        items.push({ ...item, action: 'skipped', message: 'unchanged since the last sync' });
        continue;
      }
      const clock = ctx.hlc.now();
      const fields = fieldsOf(flatten(entity));
      const fieldClocks = localClocks(
        fields,
        parseJson<Record<string, unknown> | null>(twin?.snapshot, null),
        parseJson(twin?.field_clocks, {}),
        clock,
      );
      // A replica field named like an entity field carries that field's clock (when it was last written,
      // here or by the peer); other replica fields are stamped when their value changes.
      const clocks = replicaClocks(replica, lastSent, parseJson(twin?.sent_clocks, {}), clock);
      for (const k of Object.keys(clocks)) if (fieldClocks[k] !== undefined) clocks[k] = fieldClocks[k];
      await appendOutbox(tx, connectionId, [
        {
          kind: 'upsert',
          entityId: entity.id,
          key: entity.key,
          twinId: twin?.remote_id ?? null,
          replica,
          clocks,
          clock,
        },
      ]);
      await saveTwin(tx, connectionId, entity.id, {
        ...manual,
        local_replica: JSON.stringify(replica),
        sent_clocks: JSON.stringify(clocks),
        field_clocks: JSON.stringify(fieldClocks),
        snapshot: JSON.stringify(fields),
        status: twin?.remote_id ? 'synced' : 'pending',
        last_synced_at: new Date().toISOString(),
      });
      items.push({ ...item, action: lastSent ? 'updated' : 'created' });
    }
    for (const e of entities) {
      if (!inScope.includes(e))
        items.push({ entityId: e.id, entityKey: e.key, action: 'skipped', message: 'not in scope' });
    }
    if (opts.cursorTo !== undefined) await updateStream(tx, connectionId, { feed_cursor: opts.cursorTo });
  });
  return items;
}

async function closeOutErrors(tx: SyncContext['db'], connectionId: string, entityId: string) {
  const open = await tx
    .selectFrom('sync_errors')
    .select('id')
    .where('connection_id', '=', connectionId)
    .where('entity_id', '=', entityId)
    .where('direction', '=', 'out')
    .where('status', '=', 'open')
    .execute();
  for (const e of open) await closeError(tx, e.id);
}

/** Drops comments that came from this peer (it has them already), so they never echo back as new ones. */
async function withoutMirroredComments(
  tx: SyncContext['db'],
  connectionId: string,
  entityId: string,
  replica: Replica,
): Promise<Replica> {
  if (!Array.isArray(replica.comments)) return replica;
  const mirrored = await tx
    .selectFrom('sync_comment_links')
    .select('local_comment_id')
    .where('connection_id', '=', connectionId)
    .where('entity_id', '=', entityId)
    .execute();
  if (mirrored.length === 0) return replica;
  const ids = new Set(mirrored.map((m) => m.local_comment_id));
  return {
    ...replica,
    comments: replica.comments.filter(
      (c) => !(c && typeof c === 'object' && ids.has(String((c as { id?: unknown }).id))),
    ),
  };
}
