// The attachment routes of one host without a port: streamed uploads under TANDEM_MAX_ATTACHMENT_MB, safe names
// and types, downloads with the right headers, entities carrying their attachments, one blob per content.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../core/config.ts';
import { type InProcessHost, inProcessHost } from './support/in-process.ts';

let host: InProcessHost;
const LIMIT = 1024 * 1024; // TANDEM_MAX_ATTACHMENT_MB=1

beforeAll(async () => {
  host = await inProcessHost({ config: { content: { maxAttachmentBytes: LIMIT } } });
});
afterAll(() => host.close());

const auth = () => ({ authorization: `Bearer ${host.token}` });

async function entity(summary: string): Promise<string> {
  const r = await host.app.request('/api/entities', {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'incident', fields: { summary } }),
  });
  return ((await r.json()) as { id: string }).id;
}

/** A body that arrives in pieces with no Content-Length, as a client streaming it would send it. */
function streamOf(total: number, piece = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(piece, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(65));
    },
  });
}

/** What the host's blob store holds: files in its data dir, or rows of its database (staged ones included). */
const blobFiles = async (): Promise<string[]> => {
  if (host.services.blobs.kind === 'database')
    return (await host.services.db.selectFrom('blobs').select('key').execute()).map((r) => r.key);
  const dir = path.join(host.services.config.storage.dataDir, 'blobs');
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
};

describe('attachment routes', () => {
  it('stores an upload by its SHA-256, shows it on the entity and serves it back with safe headers', async () => {
    const id = await entity('with files');
    const up = await host.app.request(
      `/api/entities/${id}/attachments?filename=${encodeURIComponent('../../etc/r\u00e9sum\u00e9 "x".txt')}`,
      {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'text/html; charset=utf-8; evil="<x>"' },
        body: '<b>hello</b>',
      },
    );
    expect(up.status).toBe(201);
    const file = (await up.json()) as Record<string, unknown>;
    expect(file).toMatchObject({
      filename: 'r\u00e9sum\u00e9 x.txt',
      contentType: 'text/html; charset=utf-8',
      size: 12,
      internal: false,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const got = await host.app.request(`/api/attachments/${file.id}/content`, { headers: auth() });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(got.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ x.txt"; filename*=UTF-8''${encodeURIComponent('r\u00e9sum\u00e9 x.txt')}`,
    );
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await got.text()).toBe('<b>hello</b>');

    const internal = await host.app.request(`/api/entities/${id}/attachments?internal=true`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'not a type' },
      body: '<b>hello</b>',
    });
    expect(await internal.json()).toMatchObject({
      filename: 'attachment',
      contentType: 'application/octet-stream',
      internal: true,
    });
    const shown = (await (await host.app.request(`/api/entities/${id}`, { headers: auth() })).json()) as {
      attachments: Array<{ filename: string }>;
    };
    expect(shown.attachments.map((a) => a.filename)).toEqual(['r\u00e9sum\u00e9 x.txt', 'attachment']);
    // The same content twice is one blob.
    expect((await blobFiles()).filter((n) => n === String(file.sha256))).toHaveLength(1);
  });

  it('refuses a file over the limit with 413 attachment_too_large, by Content-Length and while streaming, keeping nothing', async () => {
    const id = await entity('too big');
    const before = (await blobFiles()).length;
    const declared = await host.app.request(`/api/entities/${id}/attachments?filename=big.bin`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-length': String(LIMIT + 1) },
      body: new Uint8Array(LIMIT + 1),
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 'attachment_too_large', status: 413 });
    const streamed = await host.app.request(`/api/entities/${id}/attachments?filename=big.bin`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream' },
      body: streamOf(LIMIT + 200_000),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ code: 'attachment_too_large' });
    const right = await host.app.request(`/api/entities/${id}/attachments?filename=ok.bin`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream' },
      body: streamOf(LIMIT),
      duplex: 'half',
    } as RequestInit);
    expect(right.status).toBe(201);
    expect((await blobFiles()).length).toBe(before + 1);
    if (host.services.blobs.kind === 'file') {
      const tmp = path.join(host.services.config.storage.dataDir, 'blobs', 'tmp');
      expect(fs.readdirSync(tmp)).toEqual([]);
    } else expect((await blobFiles()).filter((k) => !/^[0-9a-f]{64}$/.test(k))).toEqual([]);
  });

  it('answers 404 for an entity or attachment that is not there, and a removed file is gone', async () => {
    const missing = await host.app.request('/api/entities/nope/attachments', {
      method: 'POST',
      headers: auth(),
      body: 'x',
    });
    expect(missing.status).toBe(404);
    const id = await entity('short-lived');
    const up = (await (
      await host.app.request(`/api/entities/${id}/attachments?filename=a.txt`, {
        method: 'POST',
        headers: auth(),
        body: 'unique bytes 42',
      })
    ).json()) as { id: string; sha256: string };
    expect(
      (await host.app.request(`/api/attachments/${up.id}`, { method: 'DELETE', headers: auth() })).status,
    ).toBe(204);
    expect((await host.app.request(`/api/attachments/${up.id}/content`, { headers: auth() })).status).toBe(
      404,
    );
    expect(await blobFiles()).not.toContain(up.sha256);
  });
});

describe('TANDEM_MAX_ATTACHMENT_MB', () => {
  it('defaults to 100 MB and takes a number of megabytes', () => {
    expect(resolveConfig([], {}).content.maxAttachmentBytes).toBe(100 * 1024 * 1024);
    expect(resolveConfig([], { TANDEM_MAX_ATTACHMENT_MB: '2.5' }).content.maxAttachmentBytes).toBe(
      2.5 * 1024 * 1024,
    );
    expect(() => resolveConfig([], { TANDEM_MAX_ATTACHMENT_MB: 'lots' })).toThrow(/TANDEM_MAX_ATTACHMENT_MB/);
  });
});
