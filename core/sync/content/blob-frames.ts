// `sync.blobs`: attachment bytes over the link, beside `sync.events`, in bounded chunks the receiver acknowledges.
import { z } from 'zod';

export const BLOBS_CHANNEL = 'sync.blobs';
/** Raw bytes per chunk frame (base64 in the frame: a third more). */
export const CHUNK_BYTES = 256 * 1024;
const MAX_BASE64 = Math.ceil(CHUNK_BYTES / 3) * 4;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const offset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ch = z.literal(BLOBS_CHANNEL);

/**
 * The receiving side asks (`want`, from the bytes it holds) and acknowledges (`ack`); the side that has
 * the blob sends `chunk`s within a window of unacknowledged bytes and `end`, or says it is `missing`.
 */
export const blobFrame = z.discriminatedUnion('t', [
  z.object({ ch, t: z.literal('want'), sha256, offset }),
  z.object({ ch, t: z.literal('ack'), sha256, offset }),
  z.object({ ch, t: z.literal('chunk'), sha256, offset, data: z.string().min(1).max(MAX_BASE64) }),
  z.object({ ch, t: z.literal('end'), sha256, size: offset }),
  z.object({ ch, t: z.literal('missing'), sha256, reason: z.string().max(500) }),
]);
export type BlobFrame = z.infer<typeof blobFrame>;
