// Outgoing: decides scope, runs the outgoing rule, and appends an event when the replica changed.
import { inChunks } from '../../storage/chunks.ts';
import { fenceWrite } from '../cluster/fence.ts';
import type { ConnectionInfo, Replica, RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { Entity } from '../trackers/tracker.ts';
import { localClocks, replicaClocks } from './conflicts.ts';
import { withoutMirroredAttachments } from './content/attachment-meta.ts';
import {
  deletedAtPartner,
  forgetPartnerDeletions,
  mirroredAttachments,
  recordOffers,
} from './content/mirrored.ts';
import { outgoingTwinTables } from './content/references.ts';
import { RULE_BATCH, type SyncContext } from './context.ts';
import type { SyncEvent } from './events.ts';
import { fieldsOf, flatten } from './flat.ts';
import { own, parseJson, sameJson } from './json.ts';
import { loadEntities } from './load-entities.ts';
import { appendOutbox } from './outbox.ts';
import { type RunItem, recordRunChunk } from './runs.ts';
import { updateStream } from './streams.ts';
import { closeError, type Resolved, recordError, SYSTEM_ACTOR } from './sync-errors.ts';
import { listTriggers, triggerMatches } from './triggers.ts';
import { type TwinRow, twinnedIds, twinsByLocal, twinWriter } from './twins.ts';

export interface OutgoingOptions {
  program: RuleProgram;
  connection: ConnectionInfo;
  /** Basic and Visual resolve concurrent edits per field, so they keep field clocks; Script leaves it to the script. */
  mode: 'basic' | 'visual' | 'script';
  /** Skip the scope test (bulk sync of a trigger's matches, manual sync). */
  force?: boolean;
  /** Mark the twins as synced by hand (they stay in scope whatever the triggers say). */
  manual?: boolean;
  /** Advance the connection's change-feed cursor to this sequence in the same transaction. */
  cursorTo?: string;
  /**
   * A chunk of a manual or bulk run: its events are logged as the run's (counted once the peer tells their
   * outcome), and what is decided here (skipped, errors, warnings) recorded as its items, in the same transaction.
   */
  runId?: string;
  /** Who resolves the entities' open outgoing errors when their replica builds now (a retry: its actor). */
  resolves?: Resolved;
  /**
   * The entities as already read for this batch, by id (an id absent: not found): the change feed reads a page
   * once for every connection it routes to.
   */
  entities?: ReadonlyMap<string, Entity>;
}

/**
 * Processes entities for one connection; returns one run item per entity decided here (skipped, error),
 * plus warnings, and the ids of the entities whose replica was queued.
 */
export async function processOutgoing(
  ctx: SyncContext,
  ids: string[],
  opts: OutgoingOptions,
): Promise<{ items: RunItem[]; sent: string[] }> {
  const { db, tracker } = ctx;
  const connectionId = opts.connection.id;
  const entities: Entity[] = [];
  const items: RunItem[] = [];
  const sent: string[] = [];
  const found = opts.entities ?? (await loadEntities(tracker, ids));
  for (const id of ids) {
    const e = found.get(id);
    if (e) entities.push(e);
    else items.push({ entityId: id, entityKey: null, action: 'skipped', message: 'entity not found' });
  }
  // Scope needs only which entities are twinned; the transaction below reads the twins themselves.
  const twins = opts.force
    ? new Set<string>()
    : await twinnedIds(
        db,
        connectionId,
        entities.map((e) => e.id),
      );
  const triggers = opts.force ? [] : await listTriggers(db, connectionId, true);
  const matched = entities.filter(
    (e) => opts.force || twins.has(e.id) || triggers.some((t) => triggerMatches(t, flatten(e))),
  );
  // An entity whose partner deleted its twin comes back only by hand (a manual sync), not by a trigger.
  const deletedThere = opts.force
    ? new Set<string>()
    : await deletedAtPartner(
        db,
        connectionId,
        matched.filter((e) => !twins.has(e.id)).map((e) => e.id),
      );
  const inScope = deletedThere.size ? matched.filter((e) => !deletedThere.has(e.id)) : matched;

  const results: RuleResult[] = [];
  const sandbox = ctx.sandbox();
  if (inScope.length && !sandbox) throw new Error('the sandbox is not available');
  const flats = inScope.map(flatten);
  const tables = await outgoingTwinTables(db, connectionId, flats);
  for (let i = 0; i < inScope.length; i += RULE_BATCH) {
    const calls = flats.slice(i, i + RULE_BATCH).map((entity, j) => ({
      script: 'outgoing' as const,
      entity,
      connection: opts.connection,
      twins: tables[i + j] ?? {},
    }));
    results.push(...(await sandbox!.run(connectionId, opts.program, calls, ctx.hostApi)));
  }

  await db.transaction().execute(async (tx) => {
    await fenceWrite(tx, connectionId);
    // Read what the batch needs in a few queries, and append its events in one go at the end.
    const inScopeIds = inScope.map((e) => e.id);
    const current = await twinsByLocal(tx, connectionId, inScopeIds);
    const mirrored = await mirroredComments(tx, connectionId, inScopeIds);
    const withFiles = inScope.filter((e) => e.attachments?.length).map((e) => e.id);
    const mirroredFiles = await mirroredAttachments(tx, connectionId, withFiles);
    const openErrors = await openOutErrors(tx, connectionId, inScopeIds);
    const resolves = opts.resolves ?? { by: SYSTEM_ACTOR, how: 'superseded' };
    const events: SyncEvent[] = [];
    const offers: Array<{ entityId: string; attachments: unknown }> = [];
    const twinWrites = twinWriter(connectionId);
    for (const [i, entity] of inScope.entries()) {
      const result = results[i];
      const twin = current.get(entity.id);
      const item = { entityId: entity.id, entityKey: entity.key };
      if (!result?.ok || result.script !== 'outgoing') {
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
          entityKey: entity.key,
          remoteKey: twin?.remote_key ?? null,
          message,
          script: failure?.script ?? 'outgoing',
          scriptLine: failure?.line ?? null,
        });
        if (twin) twinWrites.save(entity.id, { status: 'error' });
        items.push({ ...item, action: 'error', message });
        continue;
      }
      for (const w of result.warnings) items.push({ ...item, action: 'warning', message: w });
      const replica = withoutMirroredAttachments(
        withoutMirroredComments(result.replica, mirrored.get(entity.id)),
        mirroredFiles.get(entity.id),
      );
      const lastSent = parseJson<Replica | null>(twin?.local_replica, null);
      const replicaJson = JSON.stringify(replica);
      const manual = opts.manual ? { manual: 1 } : {};
      for (const errorId of openErrors.get(entity.id) ?? []) await closeError(tx, errorId, resolves);
      // The same rule gives the same key order, so equal text is the common case of "unchanged".
      if (lastSent && (replicaJson === twin?.local_replica || sameJson(lastSent, replica))) {
        if (opts.manual || twin?.status === 'error')
          twinWrites.save(entity.id, { ...manual, status: twin?.remote_id ? 'synced' : 'pending' });
        items.push({ ...item, action: 'skipped', message: 'unchanged since the last sync' });
        continue;
      }
      const clock = ctx.hlc.now();
      // Clocks per field (and the snapshot they are derived from) only serve the peer's per-field
      // conflict resolution, which Script mode does not run: there they would be ~2 KB per twin write.
      const perField =
        opts.mode !== 'script' ? fieldClocksOf(entity, twin, replica, lastSent, clock) : undefined;
      if (Array.isArray(replica.attachments) && replica.attachments.length)
        offers.push({ entityId: entity.id, attachments: replica.attachments });
      events.push({
        kind: 'upsert',
        entityId: entity.id,
        key: entity.key,
        twinId: twin?.remote_id ?? null,
        replica,
        clocks: perField?.clocks ?? {},
        clock,
      });
      twinWrites.save(entity.id, {
        ...manual,
        // Written once (the engine follows the types twins use, see engine/followed-types.ts).
        ...(twin?.entity_type === entity.type ? {} : { entity_type: entity.type }),
        local_replica: replicaJson,
        ...(perField
          ? {
              sent_clocks: JSON.stringify(perField.clocks),
              field_clocks: JSON.stringify(perField.fieldClocks),
              snapshot: JSON.stringify(perField.fields),
            }
          : {}),
        status: twin?.remote_id ? 'synced' : 'pending',
        last_synced_at: new Date().toISOString(),
      });
      sent.push(entity.id);
    }
    const considered = new Set(inScope);
    for (const e of entities) {
      if (!considered.has(e))
        items.push({ entityId: e.id, entityKey: e.key, action: 'skipped', message: 'not in scope' });
    }
    await twinWrites.flush(tx);
    await appendOutbox(tx, connectionId, events, opts.runId ?? null);
    await recordOffers(tx, connectionId, offers);
    if (opts.cursorTo !== undefined) await updateStream(tx, connectionId, { feed_cursor: opts.cursorTo });
    if (opts.runId) await recordRunChunk(tx, opts.runId, ids, items, events.length);
    if (opts.manual) await forgetPartnerDeletions(tx, connectionId, inScopeIds);
  });
  return { items, sent };
}

/** The clock of each replica field and entity field, for per-field conflict resolution at the peer. */
function fieldClocksOf(
  entity: Entity,
  twin: TwinRow | undefined,
  replica: Replica,
  lastSent: Replica | null,
  clock: string,
) {
  const fields = fieldsOf(entity.fields);
  const fieldClocks = localClocks(
    fields,
    parseJson<Record<string, unknown> | null>(twin?.snapshot, null),
    parseJson(twin?.field_clocks, {}),
    clock,
  );
  // A replica field named like an entity field carries that field's clock (when it was last written,
  // here or by the peer); other replica fields are stamped when their value changes.
  const clocks = replicaClocks(replica, lastSent, parseJson(twin?.sent_clocks, {}), clock);
  for (const k of Object.keys(clocks)) {
    const c = own(fieldClocks, k);
    if (c !== undefined) clocks[k] = c;
  }
  return { fields, fieldClocks, clocks };
}

/** Open outgoing errors per entity: a replica that now builds closes them. */
async function openOutErrors(
  tx: SyncContext['db'],
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, string[]>> {
  const rows = await inChunks(entityIds, (chunk) =>
    tx
      .selectFrom('sync_errors')
      .select(['id', 'entity_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .where('direction', '=', 'out')
      .where('side', '=', 'here')
      .where('status', '=', 'open')
      .execute(),
  );
  const out = new Map<string, string[]>();
  for (const r of rows) if (r.entity_id) out.set(r.entity_id, [...(out.get(r.entity_id) ?? []), r.id]);
  return out;
}

/** Per entity, the local ids of comments that came from this peer (it has them already). */
async function mirroredComments(
  tx: SyncContext['db'],
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, Set<string>>> {
  const rows = await inChunks(entityIds, (chunk) =>
    tx
      .selectFrom('sync_comment_links')
      .select(['entity_id', 'local_comment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.entity_id) ?? new Set<string>();
    set.add(r.local_comment_id);
    out.set(r.entity_id, set);
  }
  return out;
}

/** Drops comments that came from this peer, so they never echo back as new ones. */
function withoutMirroredComments(replica: Replica, mirrored: Set<string> | undefined): Replica {
  if (!Array.isArray(replica.comments) || !mirrored) return replica;
  return {
    ...replica,
    comments: replica.comments.filter(
      (c) => !(c && typeof c === 'object' && mirrored.has(String((c as { id?: unknown }).id))),
    ),
  };
}
