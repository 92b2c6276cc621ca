// The file blob store: one file per SHA-256 under the data directory, written to a temp file while hashing, then renamed.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { notFound, TandemError } from '../errors.ts';
import {
  type BlobStore,
  checkPutSize,
  type PartialOutcome,
  type PutOptions,
  SHA256,
  type StoredBlob,
} from './blob-store.ts';

const READ_CHUNK = 256 * 1024;

function checkSha(sha256: string): string {
  if (!SHA256.test(sha256))
    throw new TandemError('INVALID_SHA256', 400, 'A blob is named by a SHA-256 in hex');
  return sha256;
}

/**
 * Blobs as files: `<dir>/<aa>/<sha256>`; temp files in `<dir>/tmp`, partial ones in `<dir>/partial`.
 * @example const blobs = createFileBlobStore(path.join(dataDir, 'blobs'));
 */
export function createFileBlobStore(dir: string): BlobStore {
  const tmpDir = path.join(dir, 'tmp');
  const partialDir = path.join(dir, 'partial');
  fs.mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(partialDir, { recursive: true, mode: 0o700 });
  // Temp files of puts that never finished (a crash) are of no use after a restart.
  for (const f of fs.readdirSync(tmpDir)) fs.rmSync(path.join(tmpDir, f), { force: true });

  const fileOf = (sha: string) => path.join(dir, sha.slice(0, 2), checkSha(sha));
  const partialOf = (sha: string) => path.join(partialDir, `${checkSha(sha)}.part`);

  async function sizeOf(file: string): Promise<number | undefined> {
    try {
      return (await fsp.stat(file)).size;
    } catch {
      return undefined;
    }
  }

  /** Moves a hashed file into its place (a file already there has the same bytes: the temp one goes). */
  async function settle(tmp: string, sha256: string): Promise<void> {
    const target = fileOf(sha256);
    if ((await sizeOf(target)) !== undefined) {
      await fsp.rm(tmp, { force: true });
      return;
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(tmp, target);
  }

  async function hashFile(file: string): Promise<StoredBlob> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  return {
    kind: 'file',
    async has(sha256) {
      return SHA256.test(sha256) && (await sizeOf(fileOf(sha256))) !== undefined;
    },
    async size(sha256) {
      return SHA256.test(sha256) ? sizeOf(fileOf(sha256)) : undefined;
    },
    async put(source, options: PutOptions = {}) {
      const tmp = path.join(tmpDir, randomUUID());
      const hash = createHash('sha256');
      let size = 0;
      const out = await fsp.open(tmp, 'w', 0o600);
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          checkPutSize(size, options);
          hash.update(chunk);
          await out.write(chunk);
          options.onProgress?.(size);
        }
        await out.sync();
      } catch (err) {
        await out.close();
        await fsp.rm(tmp, { force: true });
        throw err;
      }
      await out.close();
      const sha256 = hash.digest('hex');
      await settle(tmp, sha256);
      return { sha256, size };
    },
    async *read(sha256, offset = 0) {
      const file = fileOf(sha256);
      if ((await sizeOf(file)) === undefined) throw notFound('Blob', sha256);
      yield* fs.createReadStream(file, { start: offset, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>;
    },
    async delete(sha256) {
      await fsp.rm(fileOf(sha256), { force: true });
    },
    async partialSize(sha256) {
      return (await sizeOf(partialOf(sha256))) ?? 0;
    },
    async appendPartial(sha256, offset, bytes) {
      const file = partialOf(sha256);
      const have = (await sizeOf(file)) ?? 0;
      if (have !== offset) return have;
      await fsp.appendFile(file, bytes, { mode: 0o600 });
      return have + bytes.byteLength;
    },
    async completePartial(sha256): Promise<PartialOutcome> {
      const file = partialOf(sha256);
      // Completed already (by another transfer of the same bytes): the partial, if any, is not needed.
      const stored = async (): Promise<PartialOutcome | undefined> => {
        const size = await sizeOf(fileOf(sha256));
        return size === undefined ? undefined : { ok: true, blob: { sha256, size } };
      };
      const before = await stored();
      if (before) {
        await fsp.rm(file, { force: true });
        return before;
      }
      let got: StoredBlob;
      try {
        got = await hashFile(file);
      } catch (err) {
        // Renamed to its SHA-256 while this read it: the other completion won.
        const after = await stored();
        if (after) return after;
        throw err;
      }
      if (got.sha256 !== sha256) {
        await fsp.rm(file, { force: true });
        return (await stored()) ?? { ok: false, actual: got.sha256, size: got.size };
      }
      await settle(file, sha256);
      return { ok: true, blob: got };
    },
    async dropPartial(sha256) {
      await fsp.rm(partialOf(sha256), { force: true });
    },
  } satisfies BlobStore;
}
