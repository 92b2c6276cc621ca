// The `Tracker` extension point: a system of record the host reads, writes and follows, owned or not.
import type { Db, DbExecutor } from '../../storage/schema.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { FieldIssue } from '../errors.ts';
import type { Logger } from '../log.ts';

export const ENTITY_TYPES = ['incident', 'case', 'change', 'problem', 'ci', 'request', 'user'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Comment {
  id: string;
  author: string;
  body: string;
  internal: boolean;
  createdAt: string;
}

/** A file attached to an entity: its metadata (the bytes are read through `Tracker.attachments.open`). */
export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** SHA-256 of the content (lower-case hex), when the tracker knows it. */
  sha256?: string;
  /** Internal attachments stay on this side unless a rule sends them. */
  internal: boolean;
  createdAt: string;
}

/** A file to attach: its bytes are read once, as a stream. */
export interface NewAttachment {
  filename: string;
  contentType: string;
  internal: boolean;
  content: AsyncIterable<Uint8Array>;
  /** What the caller knows of the content (a store that has this SHA-256 may skip reading it). */
  sha256?: string;
  size?: number;
}

/**
 * Attachments, for a tracker that has them.
 * @example const a = await tracker.attachments?.add(id, { filename: 'log.txt', contentType: 'text/plain', internal: false, content }, { origin: 'local' });
 */
export interface TrackerAttachments {
  list(entityId: string): Promise<Attachment[]>;
  get(attachmentId: string): Promise<{ entityId: string; attachment: Attachment } | undefined>;
  /** The bytes of an attachment; throws NOT_FOUND when it is gone. */
  open(attachmentId: string): Promise<AsyncIterable<Uint8Array>>;
  add(entityId: string, file: NewAttachment, opts: WriteOptions): Promise<Attachment>;
  remove(attachmentId: string, opts: WriteOptions): Promise<void>;
}

/** Editing and deleting comments, for a tracker that can (ServiceNow journal entries cannot be edited). */
export interface TrackerCommentEdits {
  update(entityId: string, commentId: string, body: string, opts: WriteOptions): Promise<Entity>;
  remove(entityId: string, commentId: string, opts: WriteOptions): Promise<Entity>;
}

/** Standard fields plus any custom ones (JSON values). */
export interface EntityFields {
  summary: string;
  description: string;
  status: string;
  priority: number;
  assignee: string | null;
  [custom: string]: unknown;
}

export interface Entity {
  id: string;
  key: string;
  type: EntityType;
  fields: EntityFields;
  comments: Comment[];
  /** Attachment metadata, on a tracker that has attachments. */
  attachments?: Attachment[];
  /** Changes on every write (ServiceNow's `sys_mod_count`); it need not grow by one. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** `local` for an admin's or API change, else the id of the connection whose sync applied it. */
export type Origin = 'local' | `connection:${string}`;

/** The admin API's simple writes: a refusal throws a `TandemError` (404, 409, 422). */
export interface WriteOptions {
  origin: Origin;
  /** Optimistic concurrency: refuse the write if the entity moved on. */
  expectedVersion?: number;
}

export interface Change {
  entityId: string;
  entityType: EntityType;
  op: 'create' | 'update' | 'delete' | 'comment' | 'attachment';
  version: number;
  /** Who caused it, where the tracker knows (the built-in change log); else the engine's apply journal tells. */
  origin?: Origin;
  at: string;
}

/** A page of the change feed: `cursor` resumes after the last change given (opaque to the engine). */
export interface ChangePage {
  changes: Change[];
  cursor: string;
  more: boolean;
}

export interface EntityQuery {
  type?: EntityType;
  q?: string;
  limit: number;
  cursor?: string;
}

export interface NewComment {
  body: string;
  author: string;
  internal: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** One value a field may take, as the tracker offers it (a ServiceNow state, a priority). */
export interface FieldChoice {
  /** What the entity's field holds (a status label such as `In Progress`, a priority 1-5). */
  value: string | number;
  /** How the tracker names it (`1 - Critical`); the value itself when it has no other name. */
  label: string;
}

/** A field a tracker offers for a type (what a rule editor lists, and the console's pick-lists). */
export interface FieldInfo {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'json';
  standard: boolean;
  /** The values the tracker offers for it, in its order, where it knows them (status, priority). */
  choices?: FieldChoice[];
  /** True when a value outside `choices` is refused (ServiceNow's states); else another value may be typed. */
  choicesOnly?: boolean;
}

/** One health check of the system behind the tracker (reachable, credentials, tables). */
export interface TrackerCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The one write the sync engine makes. */
export type WriteRequest =
  | { op: 'create'; type: EntityType; fields: Partial<EntityFields> }
  | { op: 'update'; id: string; fields: Partial<EntityFields>; expectedVersion?: number }
  | { op: 'comment'; id: string; comment: NewComment; expectedVersion?: number }
  | { op: 'delete'; id: string; expectedVersion?: number };

export interface WriteContext {
  origin: Origin;
  /**
   * Makes the write idempotent: a second write with the same key changes nothing and answers
   * `replayed` (the engine gives `connectionId:eventSeq`). Inside a joined transaction the tracker
   * need not record it: the transaction makes the write once.
   */
  idempotencyKey?: string;
  /** The peer's record id: a create first looks for a record carrying it (and answers `replayed`). */
  correlationId?: string;
  /** The entity as the caller read it in the same joined transaction: the tracker need not read it again. */
  current?: Entity;
  /**
   * The engine never sent this key before (the first try of a journaled event, not a replay after a crash or
   * an unavailable tracker): a tracker may skip looking for an earlier try of it (one call less per write).
   */
  firstTry?: boolean;
}

export type WriteOutcome =
  /** Written; `entity` is null after a delete. */
  | { outcome: 'applied'; entity: Entity | null }
  /** The key (or the create's correlation id) was seen before: nothing written again. */
  | { outcome: 'replayed'; entity: Entity | null }
  | { outcome: 'conflict'; version: number; message: string }
  | { outcome: 'not_found'; message: string }
  | { outcome: 'rejected'; message: string; issues: FieldIssue[] }
  | { outcome: 'unavailable'; message: string; retryAfterMs: number };

/** An entity type the sync engine needs to follow, and since when (a trigger became active, a twin was made). */
export interface FollowedType {
  type: EntityType;
  /** ISO 8601 time the need began, on the host's clock. */
  since: string;
}

/**
 * A system of record. Required: batch reads, an opaque change feed and one idempotent write.
 * Optional members are capabilities (push wake-ups, user lookup, health, joining our transaction, following
 * only the types in use, taking new credentials, stopping its own timers).
 * @example
 * const r = await tracker.write({ op: 'create', type: 'incident', fields: { summary: 'Disk full' } },
 *   { origin: 'connection:c1', idempotencyKey: 'c1:42', correlationId: 'peer-id' });
 * const { changes, cursor } = await tracker.changes(null, 100);
 */
export interface Tracker {
  readonly id: string;
  /** The entity types this tracker offers. */
  readonly entityTypes: readonly EntityType[];
  /** The fields of a type, when the tracker can tell. */
  fields?(type: EntityType): Promise<FieldInfo[]>;
  get(id: string): Promise<Entity | undefined>;
  /** Several entities at once (missing ids are left out); the sync engine reads in batches. */
  getMany(ids: readonly string[]): Promise<Map<string, Entity>>;
  list(query: EntityQuery): Promise<Page<Entity>>;
  /** Changes after `cursor` (`null`: from the start), oldest first, at most `limit`. */
  changes(cursor: string | null, limit: number): Promise<ChangePage>;
  /** A cursor at the end of the feed now (a new follower starts there). */
  head(): Promise<string>;
  /** The engine's write: a typed outcome, never a throw for an expected refusal. */
  write(request: WriteRequest, context: WriteContext): Promise<WriteOutcome>;
  /** The admin API's simple writes (see `simpleWrites` for trackers that only implement `write`). */
  create(input: { type: EntityType; fields: Partial<EntityFields> }, opts: WriteOptions): Promise<Entity>;
  update(id: string, fields: Partial<EntityFields>, opts: WriteOptions): Promise<Entity>;
  delete(id: string, opts: WriteOptions): Promise<void>;
  addComment(id: string, comment: NewComment, opts: WriteOptions): Promise<Entity>;
  /**
   * Joins the writes made side by side (the engine's journaled events of one step): until the returned
   * function is called, the tracker may hold the others' writes for this caller's next one, so they go in
   * few requests however long the caller's database reads take. Call the returned function when done.
   * @example const leave = tracker.joinWrites?.(); try { await apply(event); } finally { leave?.(); }
   */
  joinWrites?(): () => void;
  /** Push: called when the feed has something new (with the change, where the tracker has it), so followers need not poll. */
  watch?(listener: (change?: Change) => void): () => void;
  /** User lookup (`helpers.users.byEmail`). */
  users?: { byEmail(email: string): Promise<Entity | undefined> };
  /** Health checks of the system behind it. */
  health?(): Promise<TrackerCheck[]>;
  /**
   * Joins the caller's database transaction (a tracker on the host's own database): the view's reads
   * and writes run in `tx` and roll back with it, so the engine needs no apply journal.
   */
  transactional?: { withTx(tx: DbExecutor): Tracker };
  /** Attachments: list, read, add and remove. */
  attachments?: TrackerAttachments;
  /** Comment edits and deletions. */
  commentEdits?: TrackerCommentEdits;
  /**
   * Following only what is needed: the engine calls it with the types its triggers and twins use, at start and
   * whenever that set changes. The feed may then leave other types out (a polled system reads fewer tables).
   * A type a cursor has no position for starts at its `since` (a little before: clocks differ); a type left
   * out may be dropped from the cursors the feed gives back, so when it is needed again it starts at its new
   * `since`. Without this member, or before the first call, the feed covers every type it offers.
   * @example tracker.follow?.([{ type: 'incident', since: '2026-03-01T12:00:00.000Z' }]);
   */
  follow?(types: readonly FollowedType[]): void;
  /**
   * Takes new credentials while it runs (an admin entered or forgot them in the console): `values` holds each
   * credential the module declares (`TrackerModule.credentials`) as `context.env` would now give it, the
   * environment's value first, else the console's, else undefined. Take what a start would take (an incomplete
   * set like none, with a health check saying what is missing); throw `TRACKER_CONFIG_INVALID` naming the
   * credential only for a value it could never use: nothing is stored or changed then. Without this member,
   * credentials entered in the console take effect at the next start.
   * @example tracker.reconfigure?.({ TANDEM_ACME_USER: 'sync', TANDEM_ACME_PASSWORD: 's3cret' });
   */
  reconfigure?(values: Readonly<Record<string, string | undefined>>): void | Promise<void>;
  /** Stops what the tracker runs by itself (pollers, timers, open sockets); the host calls it when it closes. */
  close?(): void | Promise<void>;
}

// The plugin contract: what a tracker module exports and what the host hands it (core/trackers/load.ts).

/** The `--tracker-config` JSON object (`{}` without a file). */
export type TrackerOptions = Readonly<Record<string, unknown>>;

/** What a tracker may use from the host; it must not read `process.env` itself. */
export interface TrackerContext {
  /** The host's database (kysely), for a tracker that keeps local state (cursors, a cache). */
  db: Db;
  /** A child of the host's logger; never log a secret. */
  log: Logger;
  /** The host's data directory (`--data`), for files the tracker keeps. */
  dataDir: string;
  /** The host's blob store (content-addressed bytes), for a tracker that keeps attachments itself. */
  blobs?: BlobStore;
  /**
   * The host's environment, where secrets come from (`TANDEM_<NAME>_*`); the host's own tokens are left out.
   * Credentials the module declares (`credentials`) and an admin entered in the console are in it too, under
   * the environment: a variable set (not empty) in the environment wins.
   */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * A credential the tracker takes, which an admin may enter in the console (General settings → Tracker) instead of
 * setting its variable. Values entered there are stored sealed and never shown again.
 * @example { name: 'TANDEM_ACME_PASSWORD', label: 'Password', secret: true }
 */
export interface TrackerCredential {
  /** The environment variable the tracker reads it from (`TANDEM_<NAME>_*`); set there, it wins. */
  name: string;
  /** What the console's form calls it. */
  label: string;
  /** Typed into a password field (a user name need not be); no value is ever shown back either way. */
  secret: boolean;
  /** One line of help beside the field. */
  hint?: string;
}

/**
 * What a tracker module exports. Throw `TandemError('TRACKER_CONFIG_INVALID', 400, 'tables.x must be ...', { option })`
 * for a wrong option: its code and message reach the operator as they are.
 * @example export const createTracker: CreateTracker = (options, { db }) => ({ id: 'mine', ... }) satisfies Tracker;
 */
export type CreateTracker = (options: TrackerOptions, context: TrackerContext) => Tracker | Promise<Tracker>;

export interface TrackerModule {
  createTracker: CreateTracker;
  /** The credentials an admin may enter in the console (optional): the host merges them into `context.env`. */
  credentials?: readonly TrackerCredential[];
}
