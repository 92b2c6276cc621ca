// Table types of the built-in tracker's idempotent writes (migration 0005_tracker_writes), merged into `Database`.

/** A write made with an idempotency key outside a joined transaction: a second one is a replay. */
export interface BuiltinWriteKeyTable {
  key: string;
  entity_id: string | null;
  created_at: string;
}

/** The peer's record id a create carried: a second create with it finds the first entity. */
export interface BuiltinCorrelationTable {
  correlation_id: string;
  entity_id: string;
}

/** An update or delete the ServiceNow connector made with an idempotency key (migration 0011): a replay is not sent again. */
export interface ServiceNowWriteKeyTable {
  key: string;
  sys_id: string;
  created_at: string;
}

export interface TrackerTables {
  builtin_write_keys: BuiltinWriteKeyTable;
  builtin_correlations: BuiltinCorrelationTable;
  servicenow_write_keys: ServiceNowWriteKeyTable;
}
