// The fake instance's Attachment API (sys_attachment), as documented: upload a file's bytes, list and read
// metadata, download, delete; the size limit (com.glide.attachment.max_size) and the error shapes.
import { createHash, randomBytes } from 'node:crypto';
import { matches, parseEncodedQuery } from './fake-servicenow-query.ts';
import { type FakeStore, snTime } from './fake-servicenow-store.ts';
import { type FakeResponse, json, snError } from './fake-servicenow-table.ts';

export interface FakeAttachment {
  sys_id: string;
  file_name: string;
  content_type: string;
  size_bytes: string;
  table_name: string;
  table_sys_id: string;
  hash: string;
  sys_created_on: string;
  sys_created_by: string;
  data: Buffer;
}

/** A request whose body is kept as bytes (attachment uploads are not text). */
export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export type BinaryResponse = Omit<FakeResponse, 'body'> & { body: string | Buffer };

const PATH = /^\/api\/now(?:\/v\d+)?\/attachment(?:\/(file|[0-9a-f]{32})(?:\/(file))?)?\/?$/;

export function isAttachmentPath(path: string): boolean {
  return PATH.test(path);
}

/**
 * @example const files = createFakeAttachments(store, now, baseUrl); files.handle(req, 'admin');
 */
export function createFakeAttachments(store: FakeStore, now: () => number, baseUrl: () => string) {
  const rows = new Map<string, FakeAttachment>();
  let maxBytes = 1024 * 1024 * 1024;

  function meta(a: FakeAttachment) {
    const { data: _, ...rest } = a;
    return {
      ...rest,
      size_compressed: a.size_bytes,
      compressed: 'false',
      download_link: `${baseUrl()}/api/now/attachment/${a.sys_id}/file`,
    };
  }

  function upload(req: RawRequest, user: string): BinaryResponse {
    const q = new URL(req.url, 'http://x').searchParams;
    for (const p of ['table_name', 'table_sys_id', 'file_name'])
      if (!q.get(p)) return snError(400, `Missing parameter: ${p}`);
    const table = q.get('table_name')!;
    const recordId = q.get('table_sys_id')!;
    if (!store.get(table, recordId))
      return snError(400, 'Failed to create the attachment', `Record ${recordId} does not exist in ${table}`);
    if (req.body.length > maxBytes)
      return snError(
        400,
        'Failed to create the attachment. File part might be too large.',
        `Maximum file size is ${maxBytes} bytes`,
      );
    const a: FakeAttachment = {
      sys_id: randomBytes(16).toString('hex'),
      file_name: q.get('file_name')!,
      content_type: req.headers['content-type'] || 'application/octet-stream',
      size_bytes: String(req.body.length),
      table_name: table,
      table_sys_id: recordId,
      hash: createHash('sha256').update(req.body).digest('hex'),
      sys_created_on: snTime(now()),
      sys_created_by: user,
      data: req.body,
    };
    rows.set(a.sys_id, a);
    return json(201, { result: meta(a) }, { location: `${baseUrl()}/api/now/attachment/${a.sys_id}` });
  }

  return {
    handle(req: RawRequest, user: string): BinaryResponse {
      const path = req.url.split('?')[0] ?? '';
      const m = PATH.exec(path)!;
      const [, first, second] = m;
      if (first === 'file')
        return req.method === 'POST' ? upload(req, user) : snError(405, 'Method not Supported');
      if (!first) {
        if (req.method !== 'GET') return snError(405, 'Method not Supported');
        const params = new URL(req.url, 'http://x').searchParams;
        const q = parseEncodedQuery(params.get('sysparm_query') ?? '');
        const limit = Number(params.get('sysparm_limit') ?? 1000);
        const found = [...rows.values()].filter((a) =>
          matches(
            q,
            (f) => (a as unknown as Record<string, string>)[f] ?? '',
            () => {},
          ),
        );
        return json(200, { result: found.slice(0, limit).map(meta) });
      }
      const a = rows.get(first);
      if (!a) return snError(404, "Record doesn't exist or ACL restricts the record retrieval");
      if (second === 'file') {
        if (req.method !== 'GET') return snError(405, 'Method not Supported');
        return { status: 200, headers: { 'content-type': a.content_type }, body: a.data };
      }
      if (req.method === 'DELETE') {
        rows.delete(first);
        return { status: 204, headers: {}, body: '' };
      }
      if (req.method === 'GET') return json(200, { result: meta(a) });
      return snError(405, 'Method not Supported');
    },
    /** The instance's com.glide.attachment.max_size, in bytes. */
    setMaxBytes(n: number) {
      maxBytes = n;
    },
    rows: () => [...rows.values()],
  };
}
