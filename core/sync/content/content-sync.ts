// Content sync beside the event stream: attachment bytes both ways over `sync.blobs`, and events that waited too
// long for a referenced item turned into errors. Woken by the engine and the link; a timer catches the rest.
import type { Db } from '../../../storage/schema.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import type { LinkHub } from '../../link/link-hub.ts';
import type { Logger } from '../../log.ts';
import type { Tracker } from '../../trackers/tracker.ts';
import type { Clock } from '../clock.ts';
import { createBlobFetcher } from './blob-fetcher.ts';
import { BLOBS_CHANNEL, blobFrame } from './blob-frames.ts';
import { createBlobServer } from './blob-server.ts';
import { expireWaits } from './references.ts';

export interface ContentSyncDeps {
  db: Db;
  blobs: BlobStore;
  tracker: Tracker;
  link: LinkHub;
  log: Logger;
  clock: Clock;
  maxAttachmentBytes: number;
  /** How long an event waits for an item it refers to before it becomes an entity error. */
  referenceWaitMs: number;
  /** How often it looks for work without being woken. */
  tickMs?: number;
  /** Backoff after the n-th failed transfer. */
  backoffMs?(attempt: number): number;
  /** Whether this process runs the connection (its lease); another process transfers the others' attachments. */
  runs?(connectionId: string): boolean;
}

/**
 * @example const content = createContentSync(deps); const stop = content.start(); content.wake();
 */
export function createContentSync(deps: ContentSyncDeps) {
  const { db, link, log, clock } = deps;
  const now = () => clock.now();
  const fetcher = createBlobFetcher({ ...deps, now });
  const server = createBlobServer(deps);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function connectionIds(): Promise<string[]> {
    const rows = await db.selectFrom('sync_attachment_wants').select('connection_id').distinct().execute();
    return rows.map((r) => r.connection_id).filter((id) => deps.runs?.(id) ?? true);
  }

  async function round(): Promise<void> {
    for (const id of await connectionIds()) {
      // Several due attachments whose blobs are here already are delivered in one round.
      for (let i = 0; i < 50 && !stopped && (await fetcher.next(id)) && !fetcher.busy(id); i++);
    }
    await expireWaits(db, now(), deps.referenceWaitMs);
  }

  function wake(): void {
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = round()
      .catch((err: unknown) => log.error({ err }, 'content sync round failed'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  }

  async function onFrame(connectionId: string, raw: unknown): Promise<void> {
    const parsed = blobFrame.safeParse(raw);
    if (!parsed.success) {
      log.warn({ connectionId }, 'an attachment frame that is not valid was dropped');
      return;
    }
    const frame = parsed.data;
    if (frame.t === 'want' || frame.t === 'ack') await server.onFrame(connectionId, frame);
    else {
      await fetcher.onFrame(connectionId, frame);
      if (!fetcher.busy(connectionId)) wake(); // finished (or failed): the next one
    }
  }

  return {
    wake,
    start(): () => void {
      link.handle(BLOBS_CHANNEL, onFrame);
      const off = link.onStatus((id, up) => {
        if (up) wake();
        else {
          fetcher.linkDown(id);
          server.linkDown(id);
        }
      });
      timer = setInterval(wake, deps.tickMs ?? 1000);
      timer.unref();
      wake();
      return () => {
        off();
        clearInterval(timer);
      };
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      server.close();
      await running;
    },
  };
}
