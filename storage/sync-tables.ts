// Table types of the sync engine (migration 0004_sync), merged into `Database` in schema.ts.

/** Per-connection stream positions: change-feed cursor, outbox sequence and ack, inbox high-water mark. */
export interface SyncStreamTable {
  connection_id: string;
  /** Opaque to the engine (the tracker's); null until the connection first follows the feed. */
  feed_cursor: string | null;
  out_seq: number;
  out_acked: number;
  in_high: number;
  /** Receiving side: the last outcome sequence given to an outcome of the peer's events (migration 0008). */
  outcome_seq: number;
  /** Receiving side: outcomes up to this sequence are acknowledged by the peer. */
  outcome_acked: number;
  /** Sending side: the highest outcome sequence taken from the peer (duplicates at or below are dropped). */
  outcome_high: number;
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
  /** The local entity's type (migration 0011; null for older twins): the engine follows the types twins use. */
  entity_type: string | null;
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
  /** `here`: this host's; `peer`: the partner's error on one of our events, reported by its outcome (0008). */
  side: 'here' | 'peer';
  /** How often it was tried: a failed retry counts here instead of opening a new error. */
  attempts: number;
  resolved_by: string | null;
  /** How it was resolved: retried, skipped, recovered, superseded, connection_deleted. */
  resolution: string | null;
  entity_key: string | null;
  remote_key: string | null;
  /** For `peer` errors: the partner's error id. */
  peer_error_id: string | null;
  /** Who last asked for a retry: resolvedBy once the replay works. */
  retry_by: string | null;
}

export interface SyncRunTable {
  id: string;
  connection_id: string;
  kind: 'bulk' | 'manual';
  trigger_id: string | null;
  status: 'running' | 'finished' | 'cancelled' | 'failed';
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
  warnings: number;
  started_at: string;
  finished_at: string | null;
  /** Entities the run covers (migration 0008). */
  total: number;
  /** Events of the run sent and still without their outcome from the peer. */
  pending: number;
  /** When every entity of the run was queued (or the run cancelled): it finishes once `pending` is 0. */
  queued_at: string | null;
}

/** The entities a run has still to queue, in order (migration 0008). */
export interface SyncRunQueueTable {
  run_id: string;
  n: number;
  entity_id: string;
}

/**
 * One event each way and what became of it at the receiving side (migration 0008): `out` rows are this
 * side's events, their outcome told by the peer; `in` rows the peer's events, their outcome decided here
 * and reported back (`outcome_seq` orders the reports).
 */
export interface SyncEventLogTable {
  connection_id: string;
  direction: 'out' | 'in';
  seq: number;
  kind: string;
  /** This side's entity (null for an incoming event not applied yet to an entity known here). */
  entity_id: string | null;
  entity_key: string | null;
  /** The other side's entity id and key, when known. */
  remote_id: string | null;
  remote_key: string | null;
  run_id: string | null;
  outcome: 'pending' | 'applied' | 'skipped' | 'failed';
  /** What the receiving side did: created, updated, unchanged, unlinked, refused. */
  action: string | null;
  error_id: string | null;
  message: string | null;
  created_at: string;
  outcome_at: string | null;
  outcome_seq: number | null;
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
  /**
   * `rerun`: tried before and not done (a write was refused and the event parked, or the entity moved on): the
   * rule runs again on the next try, whose writes are not first tries (some may have landed).
   */
  status: 'pending' | 'done' | 'rerun';
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
  sync_run_queue: SyncRunQueueTable;
  sync_event_log: SyncEventLogTable;
}
