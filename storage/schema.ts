// Table types of the host database, as kysely sees them. Timestamps are ISO-8601 text, booleans 0/1.
import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

export interface SettingTable {
  key: string;
  value: string;
}

export interface EntityTable {
  id: string;
  key: string;
  type: string;
  summary: string;
  description: string;
  status: string;
  priority: number;
  assignee: string | null;
  custom: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface CommentTable {
  id: string;
  entity_id: string;
  author: string;
  body: string;
  internal: number;
  created_at: string;
}

export interface ChangeLogTable {
  seq: Generated<number>;
  entity_id: string;
  entity_type: string;
  op: string;
  version: number;
  origin: string;
  at: string;
}

export interface KeyCounterTable {
  type: string;
  next: number;
}

export interface SessionTable {
  id_hash: string;
  created_at: string;
  expires_at: string;
}

/** Every table; later migrations extend this interface in their own files via declaration merging. */
export interface Database {
  settings: SettingTable;
  entities: EntityTable;
  comments: CommentTable;
  change_log: ChangeLogTable;
  key_counters: KeyCounterTable;
  sessions: SessionTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or a transaction on it: write helpers take this so callers can compose. */
export type DbExecutor = Kysely<Database>;

export type EntityRow = Selectable<EntityTable>;
export type NewEntityRow = Insertable<EntityTable>;
export type EntityRowUpdate = Updateable<EntityTable>;
export type CommentRow = Selectable<CommentTable>;
export type ChangeLogRow = Selectable<ChangeLogTable>;
