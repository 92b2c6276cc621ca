// Attachments of entities: upload streamed from the request body (never whole in memory), list, download, delete.
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound, TandemError } from '../../errors.ts';
import type { Attachment, Tracker, TrackerAttachments } from '../../trackers/tracker.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';

export const attachmentSchema = z.strictObject({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z
    .string()
    .nullable()
    .optional()
    .describe('SHA-256 of the content in hex (null when the system of record does not tell)'),
  internal: z.boolean(),
  createdAt: z.string(),
});
const uploadQuery = z.object({
  filename: z.string().trim().min(1).max(255).optional(),
  internal: z.enum(['true', 'false']).optional(),
});

const T = 'Attachments';
/** Mounted at `/api/entities` (the list and the upload) and `/api/attachments` (one attachment). */
export const entityAttachmentOperations = [
  operation({
    method: 'post',
    path: '/:id/attachments',
    operationId: 'uploadAttachment',
    tag: T,
    summary: 'Attach a file: the raw request body, its Content-Type, `?filename=`, `?internal=true`',
    rawBody:
      'The file itself (streamed); TANDEM_MAX_ATTACHMENT_MB bounds its size (413 attachment_too_large)',
    query: uploadQuery,
    responses: { 201: attachmentSchema },
    problems: [404, 413, 422, 501],
    audit: 'entity.attachment_added',
  }),
  operation({
    method: 'get',
    path: '/:id/attachments',
    operationId: 'listAttachments',
    tag: T,
    summary: "An entity's attachments",
    responses: { 200: z.strictObject({ items: z.array(attachmentSchema) }) },
    problems: [404, 501],
  }),
];
export const attachmentOperations = [
  operation({
    method: 'get',
    path: '/:id/content',
    operationId: 'downloadAttachment',
    tag: T,
    summary: 'The file, with its Content-Type, as a download',
    responses: { 200: '*/*' },
    problems: [404, 501],
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteAttachment',
    tag: T,
    summary: 'Remove an attachment',
    responses: { 204: null },
    problems: [404, 501],
    audit: 'entity.attachment_deleted',
  }),
];

/** The attachment as the API shows it. */
export const attachmentView = (a: Attachment) => ({ ...a, sha256: a.sha256 ?? null });

function capability(tracker: Tracker): TrackerAttachments {
  if (!tracker.attachments)
    throw new TandemError('NOT_SUPPORTED', 501, `The ${tracker.id} tracker does not keep attachments`);
  return tracker.attachments;
}

/** A name safe in a file system and a header: no path, no control characters, at most 255 characters. */
export function safeFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = [...base]
    .filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f && ch !== '"')
    .join('')
    .trim()
    .replace(/^\.+/, '');
  return clean.slice(0, 255) || 'attachment';
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;
/** The media type of the upload (parameters such as charset kept when well formed); octet-stream otherwise. */
export function safeContentType(header: string | undefined): string {
  const [type = '', ...params] = (header ?? '').split(';').map((s) => s.trim());
  if (!MEDIA_TYPE.test(type)) return 'application/octet-stream';
  const kept = params.filter((p) => /^[a-z0-9_-]+=[a-z0-9_.-]+$/i.test(p));
  return [type.toLowerCase(), ...kept].join('; ').slice(0, 200);
}

/** `attachment; filename="..."` with an ASCII fallback and the UTF-8 name (RFC 6266). */
function disposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/[\\"]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

const tooLarge = (max: number) =>
  new TandemError(
    'ATTACHMENT_TOO_LARGE',
    413,
    `The attachment is larger than ${Math.round((max / 1024 / 1024) * 100) / 100} MB (TANDEM_MAX_ATTACHMENT_MB)`,
    { maxBytes: max },
  );

/** The request body as it arrives, counted: past `max` bytes the read fails with 413. */
async function* bodyOf(body: ReadableStream<Uint8Array> | null, max: number): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > max) throw tooLarge(max);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export interface AttachmentRouteDeps {
  tracker: Tracker;
  maxAttachmentBytes: number;
}

export const entityAttachmentRoutes = ({ tracker, maxAttachmentBytes }: AttachmentRouteDeps) =>
  new Hono<AppEnv>()
    .post('/:id/attachments', queryOf(uploadQuery), async (c) => {
      const files = capability(tracker);
      const id = c.req.param('id');
      const length = Number(c.req.header('content-length') ?? Number.NaN);
      if (Number.isFinite(length) && length > maxAttachmentBytes) throw tooLarge(maxAttachmentBytes);
      if (!(await tracker.get(id))) throw notFound('Entity', id);
      const q = c.req.valid('query');
      const attachment = await files.add(
        id,
        {
          filename: safeFilename(q.filename),
          contentType: safeContentType(c.req.header('content-type')),
          internal: q.internal === 'true',
          content: bodyOf(c.req.raw.body, maxAttachmentBytes),
        },
        { origin: 'local' },
      );
      c.var.audit?.note({
        target: `entity:${id}`,
        detail: { attachment: attachment.id, filename: attachment.filename, size: attachment.size },
      });
      return c.json(attachmentView(attachment), 201);
    })
    .get('/:id/attachments', async (c) => {
      const files = capability(tracker);
      const id = c.req.param('id');
      if (!(await tracker.get(id))) throw notFound('Entity', id);
      return c.json({ items: (await files.list(id)).map(attachmentView) });
    });

export const attachmentRoutes = ({ tracker }: { tracker: Tracker }) =>
  new Hono<AppEnv>()
    .get('/:id/content', async (c) => {
      const files = capability(tracker);
      const found = await files.get(c.req.param('id'));
      if (!found) throw notFound('Attachment', c.req.param('id'));
      const source = (await files.open(found.attachment.id))[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await source.next();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        async cancel() {
          await source.return?.();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: {
          'content-type': found.attachment.contentType,
          'content-length': String(found.attachment.size),
          'content-disposition': disposition(found.attachment.filename),
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
        },
      });
    })
    .delete('/:id', async (c) => {
      const files = capability(tracker);
      const found = await files.get(c.req.param('id'));
      if (!found) throw notFound('Attachment', c.req.param('id'));
      await files.remove(found.attachment.id, { origin: 'local' });
      c.var.audit?.note({
        target: `entity:${found.entityId}`,
        detail: { attachment: found.attachment.id, filename: found.attachment.filename },
      });
      return c.body(null, 204);
    });
