// The side that wants a blob: asks the partner from the bytes it holds, appends what comes, verifies the
// SHA-256 at the end, then adds the attachments waiting for it through the tracker. One blob at a time per connection.
import type { Db } from '../../../storage/schema.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import { fenceWrite, holdsHere, LeaseLost } from '../../cluster/fence.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import type { Logger } from '../../log.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import { recordError } from '../sync-errors.ts';
import { BLOBS_CHANNEL, type BlobFrame } from './blob-frames.ts';

/** Attempts before a transfer becomes an entity error (a cut link is not an attempt). */
export const MAX_ATTEMPTS = 5;
/** A transfer with no data for this long while the link is up counts as a failed attempt. */
const STALL_MS = 30_000;

interface Active {
  sha256: string;
  size: number;
  offset: number;
  progressAt: number;
  /** Bytes received in this transfer (what crossed since the ask). */
  received: number;
  /** All bytes are here and being checked: frames are ignored and it does not stall. */
  completing: boolean;
}

export interface BlobFetcherDeps {
  db: Db;
  blobs: BlobStore;
  tracker: Tracker;
  link: LinkHub;
  log: Logger;
  now(): number;
  maxAttachmentBytes: number;
  /** Backoff after the n-th failed attempt. */
  backoffMs?(attempt: number): number;
}

export function createBlobFetcher(deps: BlobFetcherDeps) {
  const { db, blobs, tracker, link, log } = deps;
  const active = new Map<string, Active>();
  /**
   * Checks under way, by SHA-256. Hashing a large blob takes long (over PostgreSQL's chunk rows most of all); a
   * second check of the same partial meanwhile (the next round finding it full, another connection, a reconnect)
   * would read it while the first renames or drops it, fail the hash and drop what the first one kept.
   */
  const completing = new Map<string, Promise<void>>();
  const backoff = deps.backoffMs ?? ((n: number) => Math.min(60_000, 1000 * 2 ** (n - 1)));

  const send = (connectionId: string, frame: Record<string, unknown>) =>
    link.send(connectionId, { ch: BLOBS_CHANNEL, ...frame });

  /** Adds every attachment waiting for this blob (on any connection), now that it is here. */
  async function deliver(sha256: string): Promise<void> {
    const wants = await db
      .selectFrom('sync_attachment_wants')
      .selectAll()
      .where('sha256', '=', sha256)
      .execute();
    // Wants of connections another process runs are that process's to deliver (it finds the blob here too).
    for (const w of wants.filter((x) => holdsHere(db, x.connection_id))) {
      const origin = `connection:${w.connection_id}` as const;
      try {
        // Unsynced (here or by the partner) since it was wanted: it is not added any more.
        const twinned = await db
          .selectFrom('sync_twins')
          .select('local_id')
          .where('connection_id', '=', w.connection_id)
          .where('local_id', '=', w.entity_id)
          .executeTakeFirst();
        if (!twinned) {
          await db
            .deleteFrom('sync_attachment_wants')
            .where('connection_id', '=', w.connection_id)
            .where('remote_attachment_id', '=', w.remote_attachment_id)
            .execute();
          continue;
        }
        // After a crash between the add and its link, the copy added then is adopted, not added again.
        const entity = await tracker.get(w.entity_id);
        const linkedIds = new Set(
          (
            await db
              .selectFrom('sync_attachment_links')
              .select('local_attachment_id')
              .where('entity_id', '=', w.entity_id)
              .execute()
          ).map((r) => r.local_attachment_id),
        );
        const adopted = entity?.attachments?.find(
          (a) =>
            a.sha256 === sha256 &&
            a.filename === w.filename &&
            a.createdAt >= w.created_at &&
            !linkedIds.has(a.id),
        );
        const added =
          adopted ??
          (entity && tracker.attachments
            ? await tracker.attachments.add(
                w.entity_id,
                {
                  filename: w.filename,
                  contentType: w.content_type,
                  internal: w.internal === 1,
                  sha256,
                  size: Number(w.size),
                  content: blobs.read(sha256),
                },
                { origin },
              )
            : undefined);
        await db.transaction().execute(async (tx) => {
          await fenceWrite(tx, w.connection_id);
          if (added)
            await tx
              .insertInto('sync_attachment_links')
              .values({
                connection_id: w.connection_id,
                remote_attachment_id: w.remote_attachment_id,
                local_attachment_id: added.id,
                entity_id: w.entity_id,
              })
              .onConflict((oc) => oc.columns(['connection_id', 'remote_attachment_id']).doNothing())
              .execute();
          await tx
            .deleteFrom('sync_attachment_wants')
            .where('connection_id', '=', w.connection_id)
            .where('remote_attachment_id', '=', w.remote_attachment_id)
            .execute();
        });
      } catch (err) {
        // Taken over meanwhile: the new holder adopts the copy added here (see above) or adds it.
        if (err instanceof LeaseLost) continue;
        log.warn(
          { err, connectionId: w.connection_id, entityId: w.entity_id },
          'adding a received attachment failed',
        );
        await failed(
          w.connection_id,
          sha256,
          `it could not be added here: ${String((err as Error)?.message ?? err)}`,
        );
      }
    }
  }

  /** A failed attempt: retried with backoff, an entity error naming the file once the attempts are spent. */
  async function failed(connectionId: string, sha256: string, reason: string): Promise<void> {
    if (active.get(connectionId)?.sha256 === sha256) active.delete(connectionId);
    const wants = await db
      .selectFrom('sync_attachment_wants')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('sha256', '=', sha256)
      .execute();
    const now = deps.now();
    for (const w of wants) {
      const attempts = w.attempts + 1;
      await db.transaction().execute(async (tx) => {
        await fenceWrite(tx, connectionId);
        const where = tx
          .updateTable('sync_attachment_wants')
          .where('connection_id', '=', connectionId)
          .where('remote_attachment_id', '=', w.remote_attachment_id);
        if (attempts < MAX_ATTEMPTS) {
          await where
            .set({
              attempts,
              last_error: reason.slice(0, 1000),
              next_at: new Date(now + backoff(attempts)).toISOString(),
            })
            .execute();
          return;
        }
        await recordError(tx, {
          level: 'entity',
          connectionId,
          direction: 'in',
          entityId: w.entity_id,
          remoteId: null,
          message: `The attachment "${w.filename}" (${Number(w.size)} bytes) could not be received from the partner after ${attempts} attempts: ${reason}`,
        });
        await tx
          .deleteFrom('sync_attachment_wants')
          .where('connection_id', '=', connectionId)
          .where('remote_attachment_id', '=', w.remote_attachment_id)
          .execute();
      });
    }
    log.warn({ connectionId, sha256, reason }, 'an attachment transfer failed');
  }

  /** Starts the next due transfer of a connection (none while one runs); true when it started or delivered one. */
  async function next(connectionId: string): Promise<boolean> {
    const running = active.get(connectionId);
    if (running) {
      if (!running.completing && deps.now() - running.progressAt > STALL_MS)
        await failed(connectionId, running.sha256, 'no data came for 30 s');
      return false;
    }
    if (!link.isUp(connectionId)) return false;
    const due = await db
      .selectFrom('sync_attachment_wants')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('next_at', '<=', new Date(deps.now()).toISOString())
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    if (!due) return false;
    if (completing.has(due.sha256)) return false; // its check delivers it, or fails it for another ask
    const size = Number(due.size);
    if (size > deps.maxAttachmentBytes) {
      for (let i = due.attempts; i < MAX_ATTEMPTS; i++)
        await failed(
          connectionId,
          due.sha256,
          `it is larger than this side's limit (TANDEM_MAX_ATTACHMENT_MB)`,
        );
      return true;
    }
    if (await blobs.has(due.sha256)) {
      await deliver(due.sha256); // here already (another entity's, or another partner's): nothing crosses
      return true;
    }
    const offset = await blobs.partialSize(due.sha256);
    const started: Active = {
      sha256: due.sha256,
      size,
      offset,
      progressAt: deps.now(),
      received: 0,
      completing: false,
    };
    active.set(connectionId, started);
    if (offset >= size) {
      await complete(connectionId, started);
      return true;
    }
    log.info({ connectionId, sha256: due.sha256, offset, size }, 'asking the partner for an attachment');
    // The link went down while this looked for work (its linkDown came before the transfer was set): nothing
    // asked, so nothing is running; the next round asks again rather than wait for the stall timeout.
    if (!send(connectionId, { t: 'want', sha256: due.sha256, offset })) {
      if (active.get(connectionId) === started) active.delete(connectionId);
      return false;
    }
    return true;
  }

  /** The connection stays busy until the check is over, so no round starts another check of the same bytes. */
  async function complete(connectionId: string, a: Active): Promise<void> {
    a.completing = true;
    let check = completing.get(a.sha256);
    if (!check) {
      const sha256 = a.sha256;
      check = verify(connectionId, sha256).finally(() => completing.delete(sha256));
      completing.set(sha256, check);
    }
    try {
      await check;
    } finally {
      if (active.get(connectionId) === a) active.delete(connectionId);
    }
  }

  async function verify(connectionId: string, sha256: string): Promise<void> {
    const outcome = await blobs.completePartial(sha256);
    if (!outcome.ok) {
      await failed(
        connectionId,
        sha256,
        `the received file did not match its SHA-256 (got ${outcome.actual.slice(0, 12)}...)`,
      );
      return;
    }
    await deliver(sha256);
  }

  return {
    next,
    async onFrame(connectionId: string, frame: BlobFrame): Promise<void> {
      const a = active.get(connectionId);
      if (!a || a.sha256 !== frame.sha256 || a.completing) return; // not (or no longer) asked for
      if (frame.t === 'missing') {
        await failed(connectionId, frame.sha256, `the partner says: ${frame.reason}`);
        return;
      }
      if (frame.t === 'end') {
        await complete(connectionId, a);
        return;
      }
      if (frame.t !== 'chunk' || frame.offset !== a.offset) return;
      const bytes = Buffer.from(frame.data, 'base64');
      if (a.offset + bytes.byteLength > a.size) {
        await blobs.dropPartial(a.sha256);
        await failed(connectionId, a.sha256, 'the partner sent more bytes than the file has');
        return;
      }
      a.offset = await blobs.appendPartial(a.sha256, a.offset, bytes);
      a.received += bytes.byteLength;
      a.progressAt = deps.now();
      send(connectionId, { t: 'ack', sha256: a.sha256, offset: a.offset });
    },
    /** The link dropped: the bytes held stay; the next ask after reconnect starts from them. Not an attempt. */
    linkDown(connectionId: string) {
      active.delete(connectionId);
    },
    /** Whether a transfer is running on the connection. */
    busy: (connectionId: string) => active.has(connectionId),
  };
}
