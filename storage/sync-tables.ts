// Table types of the sync engine (migration 0004_sync), merged into `Database` in schema.ts.

/** Per-connection stream positions: change-feed cursor, outbox sequence and ack, inbox high-water mark. */
export interface SyncStreamTable {
  connection_id: string;
  /** Opaque to the engine (the tracker's); null until the connection first follows the feed. */
  feed_cursor: string | null;
  out_seq: number;
  out_acked: number;
  in_high: number;
}

export interface SyncOutboxTable {
  connection_id: string;
  seq: number;
  kind: string;
  entity_id: string;
  payload: string;
  bytes: number;
  created_at: string;
}

export interface SyncInboxTable {
  connection_id: string;
  seq: number;
  kind: string;
  remote_id: string;
  payload: string;
  /** `waiting`: for a referenced entity to arrive (see sync_reference_waits); blocks its entity like `failed`. */
  status: 'pending' | 'failed' | 'waiting';
  error_id: string | null;
  received_at: string;
}

export interface SyncTwinTable {
  connection_id: string;
  local_id: string;
  remote_id: string | null;
  remote_key: string | null;
  manual: number;
  status: string;
  local_replica: string | null;
  sent_clocks: string;
  remote_replica: string | null;
  field_clocks: string;
  snapshot: string | null;
  last_synced_at: string | null;
  created_at: string;
}

export interface SyncCommentLinkTable {
  connection_id: string;
  remote_comment_id: string;
  local_comment_id: string;
  entity_id: string;
}

export interface SyncTriggerTable {
  id: string;
  connection_id: string;
  entity_type: string;
  query: string;
  active: number;
  created_at: string;
  updated_at: string;
}

export interface SyncErrorTable {
  id: string;
  connection_id: string | null;
  level: 'entity' | 'connection' | 'node';
  direction: 'out' | 'in' | null;
  entity_id: string | null;
  remote_id: string | null;
  event_seq: number | null;
  message: string;
  script: string | null;
  script_line: number | null;
  status: 'open' | 'resolved';
  occurred_at: string;
  resolved_at: string | null;
}

export interface SyncRunTable {
  id: string;
  connection_id: string;
  kind: 'bulk' | 'manual';
  trigger_id: string | null;
  status: 'running' | 'finished' | 'failed';
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  warnings: number;
  started_at: string;
  finished_at: string | null;
}

export interface SyncRunItemTable {
  run_id: string;
  n: number;
  entity_id: string;
  entity_key: string | null;
  action: 'created' | 'updated' | 'skipped' | 'error' | 'warning';
  message: string | null;
}

/** An inbox event being applied to a tracker that cannot join our transaction (migration 0006). */
export interface SyncApplyJournalTable {
  connection_id: string;
  seq: number;
  remote_id: string;
  /** The incoming rule's result, decided once: a replay after a crash makes the same writes. */
  result: string;
  status: 'pending' | 'done';
  created_at: string;
  done_at: string | null;
}

/** Entity versions our own writes made on such a tracker: its feed reports them, they are not sent back. */
export interface SyncApplyVersionTable {
  entity_id: string;
  version: number;
  connection_id: string;
  seq: number;
}

export interface SyncTables {
  sync_apply_journal: SyncApplyJournalTable;
  sync_apply_versions: SyncApplyVersionTable;
  sync_streams: SyncStreamTable;
  sync_outbox: SyncOutboxTable;
  sync_inbox: SyncInboxTable;
  sync_twins: SyncTwinTable;
  sync_comment_links: SyncCommentLinkTable;
  sync_triggers: SyncTriggerTable;
  sync_errors: SyncErrorTable;
  sync_runs: SyncRunTable;
  sync_run_items: SyncRunItemTable;
}
