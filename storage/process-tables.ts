// Table types of the process registry and connection leases (migration 0015_processes), merged into `Database`.

/** One `tandem start` process on the shared database; unseen for a few seconds, it is dead. */
export interface NodeProcessTable {
  id: string;
  /** The process's own listen URL (not the node's public URL): where other processes reach it. */
  url: string;
  relay_key: string;
  /** JSON array of the connection ids whose link is up in this process, as of its last heartbeat. */
  links_up: string;
  /** Milliseconds since the epoch (PostgreSQL returns bigint as a string: read through `Number`). */
  started_at: number | string;
  last_seen_at: number | string;
}

/** Which process runs a connection's link and sync, until `expires_at` unless renewed. */
export interface ConnectionLeaseTable {
  connection_id: string;
  /** Null once released. */
  process_id: string | null;
  /** Grows with each new holder; every write for the connection checks it (core/cluster/fence.ts). */
  token: number | string;
  expires_at: number | string;
}

export interface ProcessTables {
  node_processes: NodeProcessTable;
  connection_leases: ConnectionLeaseTable;
}
