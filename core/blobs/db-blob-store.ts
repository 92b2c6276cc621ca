// The database blob store: a blob's bytes in chunk rows of the host database, so several host processes
// sharing one PostgreSQL database see the same blobs. Written under a staging key while hashing, then renamed.
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../storage/schema.ts';
import { notFound, TandemError } from '../errors.ts';
import {
  type BlobStore,
  checkPutSize,
  type PartialOutcome,
  type PutOptions,
  SHA256,
  type StoredBlob,
} from './blob-store.ts';

/** Bytes per chunk row written by a put. */
const CHUNK = 256 * 1024;
/** Chunk rows read per query. */
const READ_PAGE = 8;

const partialKey = (sha: string) => `partial:${checkSha(sha)}`;

function checkSha(sha256: string): string {
  if (!SHA256.test(sha256))
    throw new TandemError('INVALID_SHA256', 400, 'A blob is named by a SHA-256 in hex');
  return sha256;
}

/** Large values come back as text on PostgreSQL (bigint). */
const num = (v: unknown): number => Number(v);

/**
 * @example const blobs = createDbBlobStore(db); const { sha256 } = await blobs.put(stream);
 */
export function createDbBlobStore(db: Db): BlobStore {
  async function sizeOfKey(key: string): Promise<number | undefined> {
    const row = await db.selectFrom('blobs').select('size').where('key', '=', key).executeTakeFirst();
    return row ? num(row.size) : undefined;
  }

  async function* chunks(key: string, offset: number): AsyncGenerator<Uint8Array> {
    const first = await db
      .selectFrom('blob_chunks')
      .select((eb) => eb.fn.max('n').as('n'))
      .where('key', '=', key)
      .where('n', '<=', offset)
      .executeTakeFirst();
    let from = num(first?.n ?? 0);
    let skip = offset - from;
    for (;;) {
      const rows = await db
        .selectFrom('blob_chunks')
        .select(['n', 'data'])
        .where('key', '=', key)
        .where('n', '>=', from)
        .orderBy('n')
        .limit(READ_PAGE)
        .execute();
      for (const r of rows) {
        const data = r.data as Uint8Array;
        if (skip > 0) {
          if (skip < data.byteLength) yield data.subarray(skip);
          skip = Math.max(0, skip - data.byteLength);
        } else yield data;
      }
      if (rows.length < READ_PAGE) return;
      from = num(rows.at(-1)!.n) + 1;
    }
  }

  /** Renames a staged blob to its SHA-256; a blob already there has the same bytes, so the staged one goes. */
  async function settle(staging: string, blob: StoredBlob): Promise<void> {
    try {
      await db.transaction().execute(async (tx) => {
        const there = await tx
          .selectFrom('blobs')
          .select('key')
          .where('key', '=', blob.sha256)
          .executeTakeFirst();
        if (there) {
          await tx.deleteFrom('blob_chunks').where('key', '=', staging).execute();
          await tx.deleteFrom('blobs').where('key', '=', staging).execute();
          return;
        }
        await tx.updateTable('blob_chunks').set({ key: blob.sha256 }).where('key', '=', staging).execute();
        await tx
          .updateTable('blobs')
          .set({ key: blob.sha256, size: blob.size, complete: 1 })
          .where('key', '=', staging)
          .execute();
      });
    } catch (err) {
      // Another process stored the same content at the same moment: theirs stays, ours goes.
      if (!(await sizeOfKey(blob.sha256))) throw err;
      await drop(staging);
    }
  }

  async function drop(key: string): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('blob_chunks').where('key', '=', key).execute();
      await tx.deleteFrom('blobs').where('key', '=', key).execute();
    });
  }

  return {
    kind: 'database',
    async has(sha256) {
      return SHA256.test(sha256) && (await sizeOfKey(sha256)) !== undefined;
    },
    async size(sha256) {
      return SHA256.test(sha256) ? sizeOfKey(sha256) : undefined;
    },
    async put(source, options: PutOptions = {}) {
      const staging = `tmp:${randomUUID()}`;
      const now = new Date().toISOString();
      await db.insertInto('blobs').values({ key: staging, size: 0, complete: 0, created_at: now }).execute();
      const hash = createHash('sha256');
      let size = 0;
      let written = 0;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const data = Buffer.concat(pending, pendingBytes);
        await db.insertInto('blob_chunks').values({ key: staging, n: written, data }).execute();
        written += pendingBytes;
        pending = [];
        pendingBytes = 0;
      };
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          checkPutSize(size, options);
          hash.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= CHUNK) await flush();
          options.onProgress?.(size);
        }
        await flush();
      } catch (err) {
        await drop(staging);
        throw err;
      }
      const blob = { sha256: hash.digest('hex'), size };
      await settle(staging, blob);
      return blob;
    },
    async *read(sha256, offset = 0) {
      if ((await sizeOfKey(checkSha(sha256))) === undefined) throw notFound('Blob', sha256);
      yield* chunks(sha256, offset);
    },
    async delete(sha256) {
      await drop(checkSha(sha256));
    },
    async partialSize(sha256) {
      return (await sizeOfKey(partialKey(sha256))) ?? 0;
    },
    async appendPartial(sha256, offset, bytes) {
      const key = partialKey(sha256);
      return db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('blobs').select('size').where('key', '=', key).executeTakeFirst();
        const have = row ? num(row.size) : 0;
        if (have !== offset) return have;
        if (!row)
          await tx
            .insertInto('blobs')
            .values({ key, size: 0, complete: 0, created_at: new Date().toISOString() })
            .execute();
        await tx.insertInto('blob_chunks').values({ key, n: have, data: bytes }).execute();
        const size = have + bytes.byteLength;
        await tx.updateTable('blobs').set({ size }).where('key', '=', key).execute();
        return size;
      });
    },
    async completePartial(sha256): Promise<PartialOutcome> {
      const key = partialKey(sha256);
      // Several processes share the database, and so the partial: another may have completed it already, or
      // complete it (rename its rows) while this reads them. The blob under its SHA-256 is the answer then.
      const stored = async (): Promise<PartialOutcome | undefined> => {
        const size = await sizeOfKey(sha256);
        return size === undefined ? undefined : { ok: true, blob: { sha256, size } };
      };
      const before = await stored();
      if (before) {
        await drop(key);
        return before;
      }
      const hash = createHash('sha256');
      let size = 0;
      for await (const c of chunks(key, 0)) {
        hash.update(c);
        size += c.byteLength;
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        await drop(key);
        return (await stored()) ?? { ok: false, actual, size };
      }
      await settle(key, { sha256, size });
      return { ok: true, blob: { sha256, size } };
    },
    async dropPartial(sha256) {
      await drop(partialKey(sha256));
    },
  } satisfies BlobStore;
}
