// The events a connection's outbox carries to the peer, and their validation when they arrive.
import { z } from 'zod';
import { jsonDepthProblem, MAX_JSON_DEPTH } from '../json-bounds.ts';
import { shortPath } from '../link/refusals.ts';

const MAX_ID = 200;
const id = z.string().min(1).max(MAX_ID);
/** Any JSON object: the frame came from JSON, so its keys are strings and its values JSON (checked without copying). */
const jsonObject = z.custom<Record<string, unknown>>(
  (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  'expected an object',
);

/** A change of one entity: the sender's replica, with a clock per replica field. */
export const upsertEvent = z.object({
  kind: z.literal('upsert'),
  /** The sender's own entity id and key (the receiver's remote id). */
  entityId: id,
  key: z.string().max(MAX_ID).nullable(),
  /** The receiver's local id when the sender knows it. */
  twinId: id.nullable(),
  replica: jsonObject,
  clocks: z.record(z.string(), z.string().max(300)),
  clock: z.string().max(300),
});

/** "Your entity `twinId` is my `entityId`/`key`": sent back after a first sync creates the twin. */
export const twinEvent = z.object({
  kind: z.literal('twin'),
  entityId: id,
  key: z.string().max(MAX_ID).nullable(),
  twinId: id,
});

/** The sender stopped syncing its entity: the receiver forgets the twin (entity data stays). */
export const unlinkEvent = z.object({ kind: z.literal('unlink'), entityId: id, twinId: id.nullable() });

/** The sender's entity was deleted: what the receiver does is its rules' choice (Basic keeps its entity, unlinked). */
export const deleteEvent = z.object({
  kind: z.literal('delete'),
  entityId: id,
  key: z.string().max(MAX_ID).nullable(),
  twinId: id.nullable(),
});

export const syncEvent = z.discriminatedUnion('kind', [upsertEvent, twinEvent, unlinkEvent, deleteEvent]);
export type SyncEvent = z.infer<typeof syncEvent>;
export type UpsertEvent = z.infer<typeof upsertEvent>;
export type DeleteEvent = z.infer<typeof deleteEvent>;

export const MAX_EVENTS_PER_FRAME = 500;

/** `sync.events`: outbox events in sequence order. */
export const eventsFrame = z.object({
  ch: z.literal('sync.events'),
  events: z
    .array(z.object({ seq: z.number().int().positive(), event: syncEvent }))
    .min(1)
    .max(MAX_EVENTS_PER_FRAME),
});
export type EventsFrame = z.infer<typeof eventsFrame>;

/** `sync.ack`: every event up to `upTo` is committed; `resend` asks for everything after it again (a gap). */
export const ackFrame = z.object({
  ch: z.literal('sync.ack'),
  upTo: z.number().int().min(0),
  resend: z.boolean().optional(),
});

export const EVENTS_CHANNEL = 'sync.events';
export const ACK_CHANNEL = 'sync.ack';
export const REFUSED_CHANNEL = 'sync.refused';

/**
 * A `sync.events` frame as the receiver reads it: the sequence numbers place each event in the
 * stream, and each event is checked on its own (`checkEvent`), so one unusable event is refused
 * alone while the stream moves on.
 */
export const eventsEnvelope = z.object({
  ch: z.literal(EVENTS_CHANNEL),
  events: z
    .array(z.object({ seq: z.number().int().positive(), event: z.unknown() }))
    .min(1)
    .max(MAX_EVENTS_PER_FRAME),
});

export type RefusalCode = 'event_invalid' | 'replica_too_deep';

/** An event the receiver will not store: why, and the sender's entity id when the event names one. */
export interface EventRefusal {
  code: RefusalCode;
  /** Said to the partner, e.g. `the replica is nested more than 64 levels deep at replica.a.b`. */
  reason: string;
  /** Recorded here, e.g. `The partner sent a replica nested more than 64 levels deep at replica.a.b`. */
  message: string;
  remoteId: string | null;
}

/** Checks one received event: its shape, and how deeply its replica nests (at most MAX_JSON_DEPTH). */
export function checkEvent(
  raw: unknown,
): { ok: true; event: SyncEvent } | { ok: false; refusal: EventRefusal } {
  const named = (raw as { entityId?: unknown } | null)?.entityId;
  const remoteId = typeof named === 'string' && named.length > 0 && named.length <= MAX_ID ? named : null;
  const parsed = syncEvent.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${shortPath(issue.path.join('.'))}: ` : '';
    const what = `${where}${issue?.message ?? 'unknown shape'}`;
    const reason = `the event is not valid (${what})`;
    const message = `The partner sent an event that is not valid (${what})`;
    return { ok: false, refusal: { code: 'event_invalid', reason, message, remoteId } };
  }
  if (parsed.data.kind === 'upsert') {
    const deep = jsonDepthProblem(parsed.data.replica, MAX_JSON_DEPTH, 'replica');
    if (deep) {
      // Too deep, or a key such as `__proto__` that a later assignment would turn into a prototype.
      const what = deep.message.startsWith('is nested')
        ? `nested more than ${MAX_JSON_DEPTH} levels deep at ${shortPath(deep.path)}`
        : `holding a key that is not allowed at ${shortPath(deep.path)}`;
      const reason = `the replica is ${what}`;
      const message = `The partner sent a replica ${what}`;
      return { ok: false, refusal: { code: 'replica_too_deep', reason, message, remoteId } };
    }
  }
  return { ok: true, event: parsed.data };
}

/** `sync.refused`: events the receiver recorded as refused (their sequence is acknowledged all the same). */
export const refusedFrame = z.object({
  ch: z.literal(REFUSED_CHANNEL),
  refused: z
    .array(
      z.object({
        seq: z.number().int().positive(),
        code: z.string().max(64),
        reason: z.string().max(1000),
      }),
    )
    .min(1)
    .max(MAX_EVENTS_PER_FRAME),
});
export type RefusedFrame = z.infer<typeof refusedFrame>;
