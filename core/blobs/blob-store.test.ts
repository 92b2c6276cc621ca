import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/support/host-process.ts';
import { TEST_DIALECT, type TestDatabase, testDatabase } from '../../tests/support/test-database.ts';
import type { BlobStore } from './blob-store.ts';
import { createDbBlobStore } from './db-blob-store.ts';
import { createFileBlobStore } from './file-blob-store.ts';

async function* pieces(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function readAll(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const stores: Array<[string, () => Promise<{ store: BlobStore; close(): Promise<void> }>]> = [
  [
    'file',
    async () => {
      const dir = tempDir('tandem-blobs-');
      return {
        store: createFileBlobStore(dir),
        close: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  ...[TEST_DIALECT].map(
    (d) =>
      [
        `database (${d})`,
        async () => {
          const t: TestDatabase = await testDatabase(d);
          return { store: createDbBlobStore(t.db), close: () => t.close() };
        },
      ] as [string, () => Promise<{ store: BlobStore; close(): Promise<void> }>],
  ),
];

describe.each(stores)('%s blob store', (_name, open) => {
  let store: BlobStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await open());
  });
  afterAll(() => close());

  const bytes = randomBytes(700_000);

  it('stores by SHA-256, reads whole and from an offset, and keeps one copy of the same content', async () => {
    const put = await store.put(pieces(bytes, 50_000));
    expect(put).toEqual({ sha256: sha(bytes), size: bytes.length });
    expect(await store.has(put.sha256)).toBe(true);
    expect(await store.size(put.sha256)).toBe(bytes.length);
    expect((await readAll(store.read(put.sha256))).equals(bytes)).toBe(true);
    expect((await readAll(store.read(put.sha256, 300_001))).equals(bytes.subarray(300_001))).toBe(true);
    expect(await store.put(pieces(bytes, 123_456))).toEqual(put);
    await store.delete(put.sha256);
    expect(await store.has(put.sha256)).toBe(false);
    await expect(readAll(store.read(put.sha256))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses content over the limit and keeps nothing of it', async () => {
    const tooLarge = () => new Error('too large');
    await expect(
      store.put(pieces(bytes, 10_000), { maxBytes: 100_000, onTooLarge: tooLarge }),
    ).rejects.toThrow('too large');
    expect(await store.has(sha(bytes))).toBe(false);
  });

  it('resumes a partial blob from what it holds and verifies its hash', async () => {
    const want = sha(bytes);
    expect(await store.partialSize(want)).toBe(0);
    expect(await store.appendPartial(want, 0, bytes.subarray(0, 100_000))).toBe(100_000);
    // A piece for the wrong offset is not written: the size says where to go on from.
    expect(await store.appendPartial(want, 50_000, bytes.subarray(50_000, 60_000))).toBe(100_000);
    expect(await store.partialSize(want)).toBe(100_000);
    expect(await store.appendPartial(want, 100_000, bytes.subarray(100_000))).toBe(bytes.length);
    expect(await store.completePartial(want)).toEqual({
      ok: true,
      blob: { sha256: want, size: bytes.length },
    });
    expect((await readAll(store.read(want))).equals(bytes)).toBe(true);
    expect(await store.partialSize(want)).toBe(0);

    const other = sha(Buffer.from('something else'));
    await store.appendPartial(other, 0, Buffer.from('not that'));
    const bad = await store.completePartial(other);
    expect(bad).toMatchObject({ ok: false, size: 8 });
    expect(await store.has(other)).toBe(false);
    expect(await store.partialSize(other)).toBe(0);
  });

  it('completing a partial another transfer completed already answers the blob there', async () => {
    // Processes sharing one database share the partial: the second completion finds the blob, not a bad hash.
    const more = randomBytes(300_000);
    const want = sha(more);
    await store.appendPartial(want, 0, more);
    const done = { ok: true, blob: { sha256: want, size: more.length } };
    expect(await store.completePartial(want)).toEqual(done);
    expect(await store.completePartial(want)).toEqual(done);
    // A late copy of the partial (a transfer that went on elsewhere) goes too.
    await store.appendPartial(want, 0, more.subarray(0, 1000));
    expect(await store.completePartial(want)).toEqual(done);
    expect(await store.partialSize(want)).toBe(0);
    expect((await readAll(store.read(want))).equals(more)).toBe(true);
  });
});
