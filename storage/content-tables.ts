// Table types of attachments, database blobs and content sync (migration 0013_content), merged into `Database`.

/** An attachment of a built-in entity; its bytes are the blob named by `sha256`. */
export interface AttachmentTable {
  id: string;
  entity_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  internal: number;
  created_at: string;
}

/** A blob in the database store: complete under its SHA-256, or being written under a staging key. */
export interface BlobTable {
  key: string;
  size: number;
  complete: number;
  created_at: string;
}

export interface BlobChunkTable {
  key: string;
  n: number;
  data: Uint8Array;
}

/** The partner's attachment that a local one mirrors (it is not sent back). */
export interface SyncAttachmentLinkTable {
  connection_id: string;
  remote_attachment_id: string;
  local_attachment_id: string;
  entity_id: string;
}

/** An attachment the partner has that this side will add once its blob is here. */
export interface SyncAttachmentWantTable {
  connection_id: string;
  remote_attachment_id: string;
  entity_id: string;
  sha256: string;
  size: number;
  filename: string;
  content_type: string;
  internal: number;
  attempts: number;
  next_at: string;
  last_error: string | null;
  created_at: string;
}

/** A blob whose attachment metadata went to the partner: it may ask for the bytes. */
export interface SyncBlobOfferTable {
  connection_id: string;
  sha256: string;
  entity_id: string;
  attachment_id: string;
  offered_at: string;
}

/** A twin whose partner entity was deleted: unlinked here, the entity kept. */
export interface SyncPartnerDeletionTable {
  connection_id: string;
  local_id: string;
  remote_id: string;
  remote_key: string | null;
  deleted_at: string;
}

/** An inbox event waiting for the partner's entity `missing_id` to arrive (a reference to it). */
export interface SyncReferenceWaitTable {
  connection_id: string;
  seq: number;
  missing_id: string;
  since: string;
}

export interface ContentTables {
  attachments: AttachmentTable;
  blobs: BlobTable;
  blob_chunks: BlobChunkTable;
  sync_attachment_links: SyncAttachmentLinkTable;
  sync_attachment_wants: SyncAttachmentWantTable;
  sync_blob_offers: SyncBlobOfferTable;
  sync_partner_deletions: SyncPartnerDeletionTable;
  sync_reference_waits: SyncReferenceWaitTable;
}
