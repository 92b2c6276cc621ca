// Table types of users, personal tokens, the audit log and notifications (migration 0009_people), merged into `Database`.
import type { Generated } from 'kysely';

/** A local user; `email` is stored lower-cased and unique; `password_hash` is a self-describing scrypt string. */
export interface UserTable {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'rules' | 'viewer';
  password_hash: string;
  created_at: string;
  updated_at: string;
}

/** A named personal API token; only its SHA-256 is kept. `user_id` null: made by the bootstrap admin token. */
export interface ApiTokenTable {
  id: string;
  user_id: string | null;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
}

/** One change made through the API; rows are only ever appended (the API has no way to edit them). */
export interface AuditTable {
  seq: Generated<number>;
  at: string;
  /** The user's email, or `admin-token`. */
  actor: string;
  /** The personal token's name when the call used one. */
  token_name: string | null;
  address: string | null;
  action: string;
  target: string | null;
  /** JSON. */
  detail: string;
}

/** A webhook target; the URL and the signing secret are sealed with the host's secret key (core/secrets). */
export interface NotificationTargetTable {
  id: string;
  url_sealed: string;
  /** The URL with its path shortened, safe to show (a Slack or Teams URL is itself a credential). */
  url_display: string;
  /** JSON array of event names. */
  events: string;
  format: string;
  secret_sealed: string | null;
  down_after_seconds: number;
  created_at: string;
}

/** One message to one target, tried until it is delivered or out of attempts. */
export interface NotificationDeliveryTable {
  id: string;
  target_id: string;
  event: string;
  /** The exact body sent (JSON text), so every retry signs and sends the same bytes. */
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface PeopleTables {
  users: UserTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditTable;
  notification_targets: NotificationTargetTable;
  notification_deliveries: NotificationDeliveryTable;
}
