// The events a connection's outbox carries to the peer, and their validation when they arrive.
import { z } from 'zod';

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

export const syncEvent = z.discriminatedUnion('kind', [upsertEvent, twinEvent, unlinkEvent]);
export type SyncEvent = z.infer<typeof syncEvent>;
export type UpsertEvent = z.infer<typeof upsertEvent>;

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
