// Table types of the host database, as kysely sees them. Timestamps are ISO-8601 text, booleans 0/1.
import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { ActivityTables } from './activity-tables.ts';
import type { ContentTables } from './content-tables.ts';
import type { PeopleTables } from './people-tables.ts';
import type { ProcessTables } from './process-tables.ts';
import type { RuleTables } from './rule-tables.ts';
import type { SyncTables } from './sync-tables.ts';
import type { TrackerTables } from './tracker-tables.ts';

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

/** The node's sealed key pair, one row (id 1), for processes sharing a PostgreSQL database (migration 0014). */
export interface NodeIdentityTable {
  id: number;
  node_id: string;
  private_jwk: string;
  created_at: string;
}

export interface KeyCounterTable {
  type: string;
  next: number;
}

export interface SessionTable {
  id_hash: string;
  created_at: string;
  expires_at: string;
  /** The signed-in user; null for a session made from the admin token (migration 0009). */
  user_id?: string | null;
}

/** A pairing with one peer host (see core/connections/). Timestamps ISO-8601; `dials` 0/1. */
export interface ConnectionTable {
  id: string;
  /** The id both sides share on the link (the inviter's connection id). */
  link_id: string;
  role: 'inviter' | 'acceptor';
  name: string;
  description: string;
  mode: 'basic' | 'visual' | 'script';
  state:
    | 'pending'
    | 'awaiting_validation'
    | 'validated'
    | 'validation_failed'
    | 'active'
    | 'deactivated'
    | 'error';
  outbound: 'not_onboarded' | 'up' | 'slow' | 'down' | null;
  inbound: 'not_onboarded' | 'up' | 'slow' | 'down' | null;
  local_name: string;
  remote_name: string;
  peer_node_id: string | null;
  peer_url: string | null;
  peer_name: string | null;
  /** The peer's pinned Ed25519 public JWK (JSON), once known. */
  peer_public_jwk: string | null;
  dials: number;
  invitation_id: string;
  invitation_expires_at: string;
  invitation_used_at: string | null;
  /** The pending invitation's payload segment (base64url, not secret): re-signed to show the code again. */
  invitation_payload: string | null;
  onboarding_message: string | null;
  onboarding_at: string | null;
  last_error: string | null;
  clock_skew_ms: number | null;
  peer_protocol: number | null;
  state_changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface LinkRevocationTable {
  link_id: string;
  invitation_id: string | null;
  peer_node_id: string | null;
  revoked_at: string;
}

/** Every table; later migrations extend this interface in their own files via declaration merging. */
export interface Database
  extends SyncTables,
    RuleTables,
    TrackerTables,
    ActivityTables,
    PeopleTables,
    ContentTables,
    ProcessTables {
  settings: SettingTable;
  entities: EntityTable;
  comments: CommentTable;
  change_log: ChangeLogTable;
  key_counters: KeyCounterTable;
  sessions: SessionTable;
  connections: ConnectionTable;
  link_revocations: LinkRevocationTable;
  node_identity: NodeIdentityTable;
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
export type ConnectionRow = Selectable<ConnectionTable>;
