// The `Tracker` extension point: a system of record the host reads, writes and follows.
import type { DbExecutor } from '../../storage/schema.ts';

export const ENTITY_TYPES = ['incident', 'case', 'change', 'problem', 'ci', 'request', 'user'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Comment {
  id: string;
  author: string;
  body: string;
  internal: boolean;
  createdAt: string;
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
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** `local` for an admin's or API change, else the id of the connection whose sync applied it. */
export type Origin = 'local' | `connection:${string}`;

export interface WriteOptions {
  origin: Origin;
  /** Run inside the caller's transaction (the sync engine's apply step); built-in trackers only. */
  tx?: DbExecutor;
  /** Optimistic concurrency: refuse the write if the entity moved on. */
  expectedVersion?: number;
  /**
   * The entity as the caller read it inside `tx` (the apply step reads a batch at once): the tracker
   * need not read it again. Used only with `tx`, where nothing else writes between the read and this.
   */
  current?: Entity;
}

export interface Change {
  seq: number;
  entityId: string;
  entityType: EntityType;
  op: 'create' | 'update' | 'delete' | 'comment';
  version: number;
  origin: Origin;
  at: string;
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

/**
 * A system of record. Every write bumps `version` and appends a change in the same transaction.
 * @example
 * const e = await tracker.create({ type: 'incident', fields: { summary: 'Disk full' } }, { origin: 'local' });
 * const { items } = await tracker.changes(0, 100);
 */
export interface Tracker {
  readonly id: string;
  get(id: string, tx?: DbExecutor): Promise<Entity | undefined>;
  /** Several entities at once (missing ids are left out); the sync engine reads in batches. */
  getMany?(ids: readonly string[], tx?: DbExecutor): Promise<Map<string, Entity>>;
  list(query: EntityQuery): Promise<Page<Entity>>;
  create(input: { type: EntityType; fields: Partial<EntityFields> }, opts: WriteOptions): Promise<Entity>;
  update(id: string, fields: Partial<EntityFields>, opts: WriteOptions): Promise<Entity>;
  delete(id: string, opts: WriteOptions): Promise<void>;
  addComment(id: string, comment: NewComment, opts: WriteOptions): Promise<Entity>;
  /** Changes with `seq > after`, oldest first. */
  changes(after: number, limit: number): Promise<Change[]>;
  /** Called after each committed write in this process, so followers need not poll. */
  onChange(listener: (change: Change) => void): () => void;
}
