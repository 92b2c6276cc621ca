// The side that has a blob: sends it from the offset asked, within a window of unacknowledged bytes and the link's buffer.
import type { Db } from '../../../storage/schema.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import type { Logger } from '../../log.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import { BLOBS_CHANNEL, type BlobFrame, CHUNK_BYTES } from './blob-frames.ts';

/** Unacknowledged bytes in flight per transfer. */
const WINDOW_BYTES = 4 * CHUNK_BYTES;
/** Socket buffer above which sending waits (the link's own flow control). */
const MAX_BUFFERED = 1024 * 1024;

interface Transfer {
  sha256: string;
  sent: number;
  acked: number;
  source: AsyncIterator<Uint8Array>;
  carry: Uint8Array | undefined;
  done: boolean;
  pumping: boolean;
  timer: NodeJS.Timeout | undefined;
}

export interface BlobServerDeps {
  db: Db;
  blobs: BlobStore;
  tracker: Tracker;
  link: LinkHub;
  log: Logger;
}

/**
 * @example const server = createBlobServer(deps); await server.onWant(connectionId, frame); server.linkDown(connectionId);
 */
export function createBlobServer(deps: BlobServerDeps) {
  const { db, blobs, tracker, link, log } = deps;
  const transfers = new Map<string, Map<string, Transfer>>();

  const send = (connectionId: string, frame: Record<string, unknown>) =>
    link.send(connectionId, { ch: BLOBS_CHANNEL, ...frame });

  /**
   * Only blobs this side sent the connection metadata of are served: a partner cannot fetch any blob it
   * can name (an internal attachment's, say) by its hash.
   */
  async function offered(connectionId: string, sha256: string) {
    return db
      .selectFrom('sync_blob_offers')
      .select(['entity_id', 'attachment_id'])
      .where('connection_id', '=', connectionId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  }

  /** The blob in the host's store: a tracker that keeps its files elsewhere (ServiceNow) is read once into it. */
  async function ensureLocal(connectionId: string, sha256: string): Promise<boolean> {
    if (await blobs.has(sha256)) return true;
    const attachment = await offered(connectionId, sha256);
    if (!attachment || !tracker.attachments) return false;
    const stored = await blobs.put(await tracker.attachments.open(attachment.attachment_id));
    if (stored.sha256 !== sha256) {
      log.warn(
        { connectionId, attachmentId: attachment.attachment_id },
        'an attachment no longer has the content it was sent with',
      );
      return false;
    }
    return true;
  }

  function stop(connectionId: string, sha256: string) {
    const t = transfers.get(connectionId)?.get(sha256);
    if (!t) return;
    transfers.get(connectionId)?.delete(sha256);
    clearTimeout(t.timer);
    void t.source.return?.();
  }

  async function pump(connectionId: string, t: Transfer): Promise<void> {
    if (t.pumping || t.done) return;
    t.pumping = true;
    try {
      while (t.sent - t.acked < WINDOW_BYTES) {
        if (transfers.get(connectionId)?.get(t.sha256) !== t || !link.isUp(connectionId)) return;
        if (link.bufferedAmount(connectionId) > MAX_BUFFERED) {
          clearTimeout(t.timer);
          t.timer = setTimeout(() => void pump(connectionId, t), 5);
          return;
        }
        let piece = t.carry;
        t.carry = undefined;
        if (!piece) {
          const next = await t.source.next();
          if (next.done) {
            t.done = true;
            send(connectionId, { t: 'end', sha256: t.sha256, size: t.sent });
            stop(connectionId, t.sha256);
            return;
          }
          piece = next.value;
        }
        if (piece.byteLength > CHUNK_BYTES) {
          t.carry = piece.subarray(CHUNK_BYTES);
          piece = piece.subarray(0, CHUNK_BYTES);
        }
        const data = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64');
        if (!send(connectionId, { t: 'chunk', sha256: t.sha256, offset: t.sent, data })) return;
        t.sent += piece.byteLength;
      }
    } catch (err) {
      log.warn({ err, connectionId }, 'sending an attachment failed');
      send(connectionId, { t: 'missing', sha256: t.sha256, reason: 'the file could not be read here' });
      stop(connectionId, t.sha256);
    } finally {
      t.pumping = false;
    }
  }

  return {
    async onFrame(connectionId: string, frame: BlobFrame): Promise<void> {
      if (frame.t === 'ack') {
        const t = transfers.get(connectionId)?.get(frame.sha256);
        if (!t) return;
        t.acked = Math.max(t.acked, Math.min(frame.offset, t.sent));
        void pump(connectionId, t);
        return;
      }
      if (frame.t !== 'want') return;
      stop(connectionId, frame.sha256); // a new ask (after a cut) restarts from where the partner is
      const ok =
        (await offered(connectionId, frame.sha256)) && (await ensureLocal(connectionId, frame.sha256));
      const size = ok ? await blobs.size(frame.sha256) : undefined;
      if (!ok || size === undefined) {
        send(connectionId, {
          t: 'missing',
          sha256: frame.sha256,
          reason: 'this side does not offer that file',
        });
        return;
      }
      const start = Math.min(frame.offset, size);
      const t: Transfer = {
        sha256: frame.sha256,
        sent: start,
        acked: start,
        source: blobs.read(frame.sha256, start)[Symbol.asyncIterator](),
        carry: undefined,
        done: false,
        pumping: false,
        timer: undefined,
      };
      const mine = transfers.get(connectionId) ?? new Map<string, Transfer>();
      mine.set(frame.sha256, t);
      transfers.set(connectionId, mine);
      log.info({ connectionId, sha256: frame.sha256, offset: start, size }, 'sending an attachment');
      void pump(connectionId, t);
    },
    /** The link dropped: what was in flight is asked for again (from where the partner is) after reconnect. */
    linkDown(connectionId: string) {
      for (const sha of [...(transfers.get(connectionId)?.keys() ?? [])]) stop(connectionId, sha);
      transfers.delete(connectionId);
    },
    close() {
      for (const id of [...transfers.keys()]) this.linkDown(id);
    },
  };
}
