// The `BlobStore` extension point: content-addressed bytes (SHA-256), written and read as streams.
import { TandemError } from '../errors.ts';

/** A blob once stored: its SHA-256 (lower-case hex) and size in bytes. */
export interface StoredBlob {
  sha256: string;
  size: number;
}

export interface PutOptions {
  /** Refuse (and keep nothing) once more than this many bytes arrived: `onTooLarge` gives the error. */
  maxBytes?: number;
  onTooLarge?: () => Error;
  /** Called with the bytes so far as they arrive (progress, limits). */
  onProgress?: (bytes: number) => void;
}

/** Throws the put's too-large error once `size` bytes are past its limit (both stores check as bytes arrive). */
export function checkPutSize(size: number, options: PutOptions): void {
  if (options.maxBytes !== undefined && size > options.maxBytes)
    throw options.onTooLarge?.() ?? new TandemError('BLOB_TOO_LARGE', 413, 'The content is too large');
}

/** The result of completing a partial blob: stored, or its bytes did not hash to the expected SHA-256 (dropped). */
export type PartialOutcome = { ok: true; blob: StoredBlob } | { ok: false; actual: string; size: number };

/**
 * Bytes by their SHA-256. A put streams (never the whole blob in memory), hashing as it writes, and
 * stores each content once. A partial blob is one being received in pieces (over the link): it keeps
 * what it has across restarts, so a transfer resumes from `partialSize` instead of byte 0.
 * @example
 * const { sha256 } = await blobs.put(request.body);
 * for await (const chunk of blobs.read(sha256)) res.write(chunk);
 */
export interface BlobStore {
  readonly kind: 'file' | 'database';
  has(sha256: string): Promise<boolean>;
  /** The size of a stored blob, or undefined. */
  size(sha256: string): Promise<number | undefined>;
  put(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /** The bytes from `offset` on; throws NOT_FOUND when the blob is not stored. */
  read(sha256: string, offset?: number): AsyncIterable<Uint8Array>;
  delete(sha256: string): Promise<void>;
  /** Bytes held of a partial blob expected to hash to `sha256` (0 when none). */
  partialSize(sha256: string): Promise<number>;
  /** Appends bytes at `offset` (which must be the partial size; else nothing is written); the new size. */
  appendPartial(sha256: string, offset: number, bytes: Uint8Array): Promise<number>;
  /** Hashes the partial blob: stored under its SHA-256 when it matches, dropped when not. */
  completePartial(sha256: string): Promise<PartialOutcome>;
  dropPartial(sha256: string): Promise<void>;
}

export const SHA256 = /^[0-9a-f]{64}$/;
