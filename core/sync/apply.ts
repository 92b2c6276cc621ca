// Incoming: applies inbox events per entity in order through the tracker, exactly once in effect.

import { fenceWrite } from '../cluster/fence.ts';
import { TandemError } from '../errors.ts';
import type { FlatEntity, Replica, RuleCall, RuleProgram, RuleResult } from '../sandbox/sandbox.ts';
import type { Entity, EntityType, Origin, Tracker, WriteContext, WriteRequest } from '../trackers/tracker.ts';
import { errorOfOutcome } from '../trackers/write-outcomes.ts';
import { localClocks, resolveLww } from './conflicts.ts';
import type { SyncConnection } from './connections-view.ts';
import { connectionInfo } from './connections-view.ts';
import {
  applyAttachments,
  applyCommentEdits,
  type EntityLinks,
  linksOf,
  withCommentLinks,
} from './content/apply-content.ts';
import { type ContentWrites, flushContentWrites, newContentWrites } from './content/content-writes.ts';
import { applyDeletion, deletionCall } from './content/deletions.ts';
import { incomingTwinTables } from './content/references.ts';
import type { SyncContext } from './context.ts';
import { type IncomingOutcome, logIncoming, type OutcomeAction } from './event-log.ts';
import type { SyncEvent } from './events.ts';
import { fieldPatch, fieldsOf, flatten } from './flat.ts';
import { failInbox, type InboxEntry, nextInboxBatch, removeInboxMany } from './inbox.ts';
import { own, parseJson } from './json.ts';
import { loadEntities, trackerIn } from './load-entities.ts';
import { appendOutbox } from './outbox.ts';
import { closeRetried, recordError } from './sync-errors.ts';
import {
  saveTwin,
  type TwinRow,
  type TwinWriter,
  twinByLocal,
  twinByRemote,
  twinsByLocal,
  twinsByRemote,
  twinWriter,
} from './twins.ts';

type Exec = SyncContext['db'];

/** Events per apply transaction (group commit); at most one per entity so each sees the previous result. */
export const APPLY_BATCH = 200;

/** What one apply transaction writes at its end, in one go: events for the peer and applied inbox rows. */
export interface BatchWrites {
  /** The tracker as the transaction sees it (its joined view when it has one). */
  target: Tracker;
  outbox: SyncEvent[];
  applied: number[];
  failed: Array<{ seq: number; errorId: string }>;
  /** Entities as they stand inside the transaction (read once for the batch). */
  current: Map<string, Entity>;
  /** Twins named by `twin` and `unlink` events, read once for the batch. */
  twins: Map<string, TwinRow>;
  /** Twin saves and deletes, written in order at the end. */
  twinWrites: TwinWriter;
  /** Remote comments mirrored by the comments written, recorded at the end. */
  commentLinks: Array<{ remote_comment_id: string; local_comment_id: string; entity_id: string }>;
  /** The entity versions the tracker writes made (the apply journal's echo test). */
  versions: Array<{ entityId: string; version: number }>;
  /** Attachments wanted or dropped, deletions, references waiting (core/sync/content/). */
  content: ContentWrites;
  /** What became of each event decided (applied or failed), logged and reported to the peer. */
  outcomes: IncomingOutcome[];
}

export interface Prepared {
  entry: InboxEntry;
  twin?: TwinRow | undefined;
  entity?: Entity | undefined;
  /** What the entity already has from the partner (comments and attachments). */
  links?: EntityLinks | undefined;
  call?: number;
}

export class ApplyFailure extends Error {
  constructor(
    readonly entry: InboxEntry,
    readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function findTwin(db: Exec, connectionId: string, event: SyncEvent): Promise<TwinRow | undefined> {
  if (event.twinId) {
    const byLocal = await twinByLocal(db, connectionId, event.twinId);
    if (byLocal && (byLocal.remote_id === null || byLocal.remote_id === event.entityId)) return byLocal;
  }
  return twinByRemote(db, connectionId, event.entityId);
}

/** The twin of each event, in two queries for the batch (same choice as `findTwin`). */
async function findTwins(
  db: Exec,
  connectionId: string,
  events: SyncEvent[],
): Promise<Map<SyncEvent, TwinRow>> {
  const byLocal = await twinsByLocal(
    db,
    connectionId,
    events.flatMap((e) => (e.twinId ? [e.twinId] : [])),
  );
  const byRemote = await twinsByRemote(
    db,
    connectionId,
    events.map((e) => e.entityId),
  );
  const out = new Map<SyncEvent, TwinRow>();
  for (const e of events) {
    const local = e.twinId ? byLocal.get(e.twinId) : undefined;
    const twin =
      local && (local.remote_id === null || local.remote_id === e.entityId)
        ? local
        : byRemote.get(e.entityId);
    if (twin) out.set(e, twin);
  }
  return out;
}

/** A batch read and run through the incoming rule, ready to be written in one transaction. */
export interface PreparedBatch {
  prepared: Prepared[];
  results: RuleResult[];
  localIds: string[];
}

/** What a batch's transaction did with each event (the caller keeps the inbox in step with it). */
export interface BatchOutcome {
  applied: number[];
  failed: Array<{ seq: number; errorId: string }>;
  /** Events whose entity moved on after the rule ran: to be run again. */
  again: InboxEntry[];
}

/** Reads what the batch's events need and runs their incoming rules (outside any transaction). */
export async function prepareBatch(
  ctx: SyncContext,
  conn: SyncConnection,
  program: RuleProgram,
  batch: InboxEntry[],
): Promise<PreparedBatch> {
  const { db } = ctx;
  const prepared: Prepared[] = [];
  const calls: RuleCall[] = [];
  const twins = await findTwins(
    db,
    conn.id,
    batch.flatMap((e) => (e.event.kind === 'upsert' || e.event.kind === 'delete' ? [e.event] : [])),
  );
  const localIds = [...twins.values()].map((t) => t.local_id);
  const locals = await loadEntities(ctx.tracker, localIds);
  const upserts = batch.flatMap((e) => (e.event.kind === 'upsert' ? [e.event] : []));
  const tables = await incomingTwinTables(
    db,
    conn.id,
    upserts.map((e) => e.replica),
  );
  const links = await linksOf(db, conn.id, localIds);
  for (const entry of batch) {
    const p: Prepared = { entry };
    if (entry.event.kind === 'upsert') {
      p.twin = twins.get(entry.event);
      p.entity = p.twin ? locals.get(p.twin.local_id) : undefined;
      p.links = p.entity ? links.get(p.entity.id) : undefined;
      p.call = calls.length;
      calls.push({
        script: 'incoming',
        replica: entry.event.replica,
        previous: parseJson<Replica | null>(p.twin?.remote_replica, null),
        firstSync: !p.entity,
        entity: p.entity ? withCommentLinks(flatten(p.entity), links.get(p.entity.id)?.comments) : null,
        connection: connectionInfo(conn),
        twins: tables[upserts.indexOf(entry.event)] ?? {},
      });
    } else if (entry.event.kind === 'delete') {
      p.twin = twins.get(entry.event);
      p.entity = p.twin ? locals.get(p.twin.local_id) : undefined;
      // Only Script's rules decide what a deletion does here; Basic and Visual keep the entity, unlinked.
      if (conn.mode === 'script' && p.twin && p.entity) {
        p.call = calls.length;
        calls.push(deletionCall(p.twin, p.entity, connectionInfo(conn)));
      }
    }
    prepared.push(p);
  }
  const results: RuleResult[] = calls.length
    ? await ctx.sandbox()!.run(conn.id, program, calls, ctx.hostApi)
    : [];
  return { prepared, results, localIds };
}

/**
 * Writes a prepared batch inside `tx`. Throws `ApplyFailure` when an event breaks the write itself
 * (the caller rolls the batch back and parks that event).
 */
export async function writeBatch(
  ctx: SyncContext,
  tx: Exec,
  conn: SyncConnection,
  batch: PreparedBatch,
): Promise<BatchOutcome> {
  await fenceWrite(tx, conn.id);
  const { outcome, writes } = await runBatch(ctx, tx, trackerIn(ctx.tracker, tx), conn, batch);
  await flushWrites(tx, conn.id, writes);
  return outcome;
}

/**
 * Runs a prepared batch's tracker writes on `target`, reading twins and links from `exec`; the local
 * writes it decided are returned, not made (`flushWrites` makes them).
 */
export async function runBatch(
  ctx: SyncContext,
  exec: Exec,
  target: Tracker,
  conn: SyncConnection,
  batch: PreparedBatch,
): Promise<{ outcome: BatchOutcome; writes: BatchWrites }> {
  // Inside the transaction nothing else writes: entities and twins read once here stay true.
  const writes: BatchWrites = {
    target,
    outbox: [],
    applied: [],
    failed: [],
    commentLinks: [],
    versions: [],
    content: newContentWrites(),
    outcomes: [],
    current: await target.getMany(batch.localIds),
    twinWrites: twinWriter(conn.id),
    twins: await twinsByLocal(
      exec,
      conn.id,
      batch.prepared.flatMap((p) =>
        p.entry.event.kind !== 'upsert' && p.entry.event.twinId ? [p.entry.event.twinId] : [],
      ),
    ),
  };
  const again: InboxEntry[] = [];
  for (const p of batch.prepared) {
    try {
      const result = p.call === undefined ? undefined : batch.results[p.call];
      if (!(await applyOne(ctx, exec, conn, p, result, writes))) again.push(p.entry);
    } catch (err) {
      throw new ApplyFailure(p.entry, err);
    }
  }
  return { outcome: { applied: writes.applied, failed: writes.failed, again }, writes };
}

/**
 * The local half of a batch's writes: twins, comment links, events for the peer, and the outcomes (the
 * errors of events a retry replayed and that applied now are resolved).
 */
export async function flushWrites(tx: Exec, connectionId: string, writes: BatchWrites): Promise<void> {
  await writes.twinWrites.flush(tx);
  for (const link of writes.commentLinks)
    await tx
      .insertInto('sync_comment_links')
      .values({ connection_id: connectionId, ...link })
      .execute();
  await appendOutbox(tx, connectionId, writes.outbox);
  await flushContentWrites(tx, connectionId, writes.content);
  await logIncoming(tx, connectionId, writes.outcomes);
  await closeRetried(
    tx,
    writes.outcomes.flatMap((o) => (o.outcome === 'applied' && o.errorId ? [o.errorId] : [])),
  );
}

/** After a batch rolled back: records the event that broke it, with its twin held in error. */
export async function parkFailure(
  ctx: SyncContext,
  conn: SyncConnection,
  failure: ApplyFailure,
): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    await fenceWrite(tx, conn.id);
    const twin = await findTwin(tx, conn.id, failure.entry.event);
    const { entry } = failure;
    const id = await recordError(tx, {
      level: 'entity',
      connectionId: conn.id,
      direction: 'in',
      entityId: twin?.local_id ?? null,
      remoteId: entry.remoteId,
      remoteKey: keyOf(entry.event),
      eventSeq: entry.seq,
      message: failure.message,
    });
    await failInbox(tx, conn.id, entry.seq, id);
    if (twin) await saveTwin(tx, conn.id, twin.local_id, { status: 'error' });
    await logIncoming(tx, conn.id, [
      {
        seq: entry.seq,
        event: entry.event,
        outcome: 'failed',
        entityId: twin?.local_id ?? null,
        errorId: id,
      },
    ]);
  });
}

/** The sender's key of the entity an event is about (an unlink names none). */
const keyOf = (event: SyncEvent): string | null => (event.kind === 'unlink' ? null : event.key);

/** Applies one batch from the inbox; returns how many events it settled (applied, skipped or failed). */
export async function applyInbox(
  ctx: SyncContext,
  conn: SyncConnection,
  program: RuleProgram,
): Promise<number> {
  const batch = await nextInboxBatch(ctx.db, conn.id, APPLY_BATCH);
  if (batch.length === 0) return 0;
  return commitPrepared(ctx, conn, await prepareBatch(ctx, conn, program, batch));
}

/**
 * Writes prepared inbox events in one local transaction and settles their inbox rows; returns how
 * many it settled. An event that breaks the write rolls the whole batch back and is parked alone.
 */
export async function commitPrepared(
  ctx: SyncContext,
  conn: SyncConnection,
  prepared: PreparedBatch,
): Promise<number> {
  try {
    return await ctx.db.transaction().execute(async (tx) => {
      const outcome = await writeBatch(ctx, tx, conn, prepared);
      await removeInboxMany(tx, conn.id, outcome.applied);
      for (const f of outcome.failed) await failInbox(tx, conn.id, f.seq, f.errorId);
      return outcome.applied.length + outcome.failed.length;
    });
  } catch (err) {
    if (!(err instanceof ApplyFailure)) throw err;
    await parkFailure(ctx, conn, err);
    return 1;
  }
}

async function applyOne(
  ctx: SyncContext,
  tx: Exec,
  conn: SyncConnection,
  p: Prepared,
  result: RuleResult | undefined,
  writes: BatchWrites,
): Promise<boolean> {
  const { entry } = p;
  const event = entry.event;
  if (event.kind === 'twin') {
    const twin = writes.twins.get(event.twinId);
    if (twin) {
      writes.twinWrites.save(twin.local_id, {
        remote_id: event.entityId,
        remote_key: event.key,
        status: twin.status === 'error' ? 'error' : 'synced',
      });
    }
    writes.content.arrived.push(event.entityId);
    writes.applied.push(entry.seq); // not logged: nothing to report (see `logged`)
    return true;
  }
  if (event.kind === 'unlink') {
    const twin = await findTwin(tx, conn.id, event);
    if (twin) writes.twinWrites.delete(twin.local_id);
    appliedAs(writes, entry, 'unlinked', twin?.local_id ?? null);
    return true;
  }
  if (event.kind === 'delete' && (!result || result.ok)) {
    const current = p.entity ? writes.current.get(p.entity.id) : undefined;
    if (p.entity && (!current || current.version !== p.entity.version)) return false; // moved on: run again
    await applyDeletion({
      target: writes.target,
      current,
      twin: p.twin,
      event,
      result,
      context: { origin: `connection:${conn.id}`, idempotencyKey: `${conn.id}:${entry.seq}` },
      twinWrites: writes.twinWrites,
      content: writes.content,
      write: (request, context) => writtenOrGone(writes, request, context),
    });
    appliedAs(writes, entry, 'unlinked', p.twin?.local_id ?? null, p.entity?.key ?? null);
    return true;
  }
  if (!result) throw new Error('the incoming rule gave no result');
  if (!result.ok || result.script !== 'incoming') {
    const failure = result.ok ? undefined : result.error;
    const id = await recordError(tx, {
      level: 'entity',
      connectionId: conn.id,
      direction: 'in',
      entityId: p.twin?.local_id ?? null,
      remoteId: entry.remoteId,
      entityKey: p.entity?.key ?? null,
      remoteKey: event.key,
      eventSeq: entry.seq,
      message: failure
        ? `${failure.script} rule failed (${failure.kind}): ${failure.message}`
        : 'the incoming rule gave no entity',
      script: failure?.script ?? 'incoming',
      scriptLine: failure?.line ?? null,
    });
    failedAs(writes, entry, id, p.twin?.local_id ?? null);
    if (p.twin) writes.twinWrites.save(p.twin.local_id, { status: 'error' });
    return true;
  }
  if (event.kind !== 'upsert') throw new Error(`unexpected ${event.kind} event`); // deletions are done above
  if (p.twin && !p.entity && !result.unlink) {
    // The record this twin links to is gone here (deleted in the tracker): creating a new one would
    // quietly make a second record; the admin decides (resolve skips, unsync lets it be created anew).
    const id = await recordError(tx, {
      level: 'entity',
      connectionId: conn.id,
      direction: 'in',
      entityId: p.twin.local_id,
      remoteId: entry.remoteId,
      remoteKey: event.key,
      eventSeq: entry.seq,
      message: `The record linked to the partner's ${event.key ?? event.entityId} (${p.twin.local_id}) no longer exists in ${ctx.tracker.id}: it was deleted there. Resolve this error to skip the change, or stop syncing the record (unsync) so that the next change creates it again.`,
    });
    failedAs(writes, entry, id, p.twin.local_id);
    writes.twinWrites.save(p.twin.local_id, { status: 'error' });
    return true;
  }
  const current = p.entity ? writes.current.get(p.entity.id) : undefined;
  if (p.entity && (!current || current.version !== p.entity.version)) return false; // moved on: run again
  if (result.missing?.length) {
    // It refers to partner items not here yet: it waits for them (no dangling id is written).
    writes.content.waits.push({ seq: entry.seq, missing: result.missing });
    return false;
  }
  if (result.unlink && !current) {
    // Nothing here to keep: create nothing, and tell the peer so it forgets its side of the twin.
    writes.outbox.push({ kind: 'unlink', entityId: event.entityId, twinId: event.entityId });
    if (p.twin) writes.twinWrites.delete(p.twin.local_id);
    appliedAs(writes, entry, 'unlinked', p.twin?.local_id ?? null);
    return true;
  }
  ctx.hlc.observe(event.clock);
  const origin: Origin = `connection:${conn.id}`;
  const out = result.entity;
  const now = new Date().toISOString();
  let entity: Entity;
  // Only Basic and Visual resolve concurrent edits per field (LWW); Script leaves it to the script.
  const perField = conn.mode !== 'script';
  let fieldClocks = perField ? parseJson<Record<string, string>>(p.twin?.field_clocks, {}) : {};
  if (!current) {
    const type = String(out.type ?? event.replica.type ?? '');
    if (!ctx.tracker.entityTypes.includes(type as EntityType)) {
      throw new TandemError(
        'INVALID_ENTITY_TYPE',
        422,
        `The incoming rule gave an unknown entity type "${type}"`,
      );
    }
    const fields = fieldsOf(out);
    entity = await written(
      writes,
      { op: 'create', type: type as EntityType, fields },
      { origin, idempotencyKey: `${conn.id}:${entry.seq}`, correlationId: event.entityId },
    );
    if (perField) for (const f of Object.keys(fields)) fieldClocks[f] = own(event.clocks, f) ?? event.clock;
    writes.outbox.push({ kind: 'twin', entityId: entity.id, key: entity.key, twinId: event.entityId });
  } else {
    const currentFields = fieldsOf(current.fields);
    let patch: Record<string, unknown> = fieldPatch(currentFields, out);
    if (perField) {
      const snapshot = parseJson<Record<string, unknown> | null>(p.twin?.snapshot, null);
      // The snapshot written below takes in local edits not sent yet: they get their clock now, or
      // the next send would carry the clock of the value they replaced (and lose to it at the peer).
      if (snapshot) fieldClocks = localClocks(currentFields, snapshot, fieldClocks, ctx.hlc.now());
      const lww = resolveLww({
        patch,
        current: currentFields,
        snapshot,
        fieldClocks,
        replica: event.replica,
        previous: parseJson<Replica | null>(p.twin?.remote_replica, null),
        remoteClocks: event.clocks,
        eventClock: event.clock,
        now: () => ctx.hlc.now(),
      });
      patch = lww.patch;
      fieldClocks = lww.fieldClocks;
    }
    entity = Object.keys(patch).length
      ? await written(
          writes,
          { op: 'update', id: current.id, fields: patch },
          { origin, idempotencyKey: `${conn.id}:${entry.seq}`, correlationId: event.entityId, current },
        )
      : current;
  }
  entity = await addNewComments(writes, tx, conn.id, entity, out, {
    origin,
    idempotencyKey: `${conn.id}:${entry.seq}`,
  });
  const warn = (message: string) => ctx.log.warn({ connectionId: conn.id, entityId: entity.id }, message);
  const known = current ? p.links : undefined; // an entity created now has nothing from the partner yet
  entity = await applyCommentEdits(writes.target, entity, out, { origin }, known, writes.content, warn);
  if (await applyAttachments(writes.target, entity, out, { origin }, known, writes.content, warn))
    entity = (await writes.target.get(entity.id)) ?? entity;
  writes.current.set(entity.id, entity);
  if (p.twin && p.twin.local_id !== entity.id) writes.twinWrites.delete(p.twin.local_id);
  if (result.unlink) {
    // The change of this run is written; then the twin ends here and at the peer.
    writes.twinWrites.delete(entity.id);
    writes.outbox.push({ kind: 'unlink', entityId: entity.id, twinId: event.entityId });
    appliedAs(writes, entry, 'unlinked', entity.id, entity.key);
    return true;
  }
  const typeKnown = p.twin?.local_id === entity.id && p.twin.entity_type === entity.type;
  writes.twinWrites.save(entity.id, {
    ...(typeKnown ? {} : { entity_type: entity.type }),
    remote_id: event.entityId,
    remote_key: event.key,
    remote_replica: JSON.stringify(event.replica),
    ...(perField
      ? { field_clocks: JSON.stringify(fieldClocks), snapshot: JSON.stringify(fieldsOf(entity.fields)) }
      : {}),
    status: 'synced',
    last_synced_at: now,
  });
  writes.content.arrived.push(event.entityId);
  const action = !current ? 'created' : entity.version !== current.version ? 'updated' : 'unchanged';
  appliedAs(writes, entry, action, entity.id, entity.key);
  return true;
}

/** An event applied: settled in the inbox, and its outcome (with the error a retry resolved) to log and report. */
function appliedAs(
  writes: BatchWrites,
  entry: InboxEntry,
  action: OutcomeAction,
  entityId: string | null,
  entityKey: string | null = null,
) {
  writes.applied.push(entry.seq);
  writes.outcomes.push({
    seq: entry.seq,
    event: entry.event,
    outcome: 'applied',
    action,
    entityId,
    entityKey,
    errorId: entry.errorId ?? null,
  });
}

/** An event failed here: it waits in the inbox behind error `errorId`, and the peer is told. */
function failedAs(writes: BatchWrites, entry: InboxEntry, errorId: string, entityId: string | null) {
  writes.failed.push({ seq: entry.seq, errorId });
  writes.outcomes.push({ seq: entry.seq, event: entry.event, outcome: 'failed', entityId, errorId });
}

/** Adds the rule result's comments this entity does not have yet, remembering which remote comment each mirrors. */
async function addNewComments(
  writes: BatchWrites,
  tx: Exec,
  connectionId: string,
  entity: Entity,
  out: FlatEntity,
  context: WriteContext,
): Promise<Entity> {
  if (!Array.isArray(out.comments)) return entity;
  for (const c of out.comments as unknown[]) {
    if (!c || typeof c !== 'object') continue;
    const { id, body, author, internal } = c as Record<string, unknown>;
    if (typeof id !== 'string' || typeof body !== 'string' || body.trim() === '') continue;
    if (entity.comments.some((x) => x.id === id)) continue;
    const linked = await tx
      .selectFrom('sync_comment_links')
      .select('local_comment_id')
      .where('connection_id', '=', connectionId)
      .where('remote_comment_id', '=', id)
      .executeTakeFirst();
    if (linked) continue;
    const before = new Set(entity.comments.map((x) => x.id));
    entity = await written(
      writes,
      {
        op: 'comment',
        id: entity.id,
        comment: {
          body: body.slice(0, 20_000),
          author: typeof author === 'string' && author ? author.slice(0, 200) : 'remote',
          internal: internal === true,
        },
      },
      { origin: context.origin, idempotencyKey: `${context.idempotencyKey}:comment:${id}` },
    );
    const added = entity.comments.find((x) => !before.has(x.id));
    if (added)
      writes.commentLinks.push({ remote_comment_id: id, local_comment_id: added.id, entity_id: entity.id });
  }
  return entity;
}

/** A write that must give the entity back: a refusal breaks the event (an entity-level error names it). */
async function written(writes: BatchWrites, request: WriteRequest, context: WriteContext): Promise<Entity> {
  const r = await writes.target.write(request, context);
  if (r.outcome === 'unavailable') throw new TrackerUnavailable(r.message, r.retryAfterMs);
  if (r.outcome !== 'applied' && r.outcome !== 'replayed') throw errorOfOutcome(r);
  if (!r.entity) throw new Error(`the tracker gave no entity after a ${request.op}`);
  writes.versions.push({ entityId: r.entity.id, version: r.entity.version });
  return r.entity;
}

/** A write that may leave no entity (a delete). */
async function writtenOrGone(writes: BatchWrites, request: WriteRequest, context: WriteContext) {
  const r = await writes.target.write(request, context);
  if (r.outcome === 'unavailable') throw new TrackerUnavailable(r.message, r.retryAfterMs);
  if (r.outcome !== 'applied' && r.outcome !== 'replayed') throw errorOfOutcome(r);
  if (r.entity) writes.versions.push({ entityId: r.entity.id, version: r.entity.version });
  return r.entity;
}

/** The tracker cannot take writes now: the event stays where it is and the connection waits (held). */
export class TrackerUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(`the tracker is unavailable (retry in ${retryAfterMs} ms): ${message}`);
  }
}
