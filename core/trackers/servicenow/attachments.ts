// ServiceNow attachments through the Attachment API (sys_attachment): list, read, upload (streamed), delete.
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import type { Attachment, Entity, TrackerAttachments } from '../tracker.ts';
import type { ServiceNowClient } from './client.ts';
import { checkShape, parseJson } from './responses.ts';

const SYS_ID = /^[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** One sys_attachment row as the Attachment API answers it (values are strings). */
const attachmentRecord = z.looseObject({
  sys_id: z.string(),
  file_name: z.string(),
  content_type: z.string().optional(),
  size_bytes: z.union([z.string(), z.number()]).optional(),
  table_sys_id: z.string(),
  table_name: z.string().optional(),
  hash: z.string().optional(),
  sys_created_on: z.string().optional(),
});
type AttachmentRecord = z.infer<typeof attachmentRecord>;
const one = z.object({ result: attachmentRecord });
const many = z.object({ result: z.array(attachmentRecord) });

/** ServiceNow's `yyyy-MM-dd HH:mm:ss` (UTC) as ISO-8601. */
function isoOf(v: string | undefined): string {
  if (!v) return new Date(0).toISOString();
  const d = new Date(`${v.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

function toAttachment(r: AttachmentRecord): Attachment {
  const a: Attachment = {
    id: r.sys_id,
    filename: r.file_name,
    contentType: r.content_type || 'application/octet-stream',
    size: Number(r.size_bytes ?? 0),
    // ServiceNow keeps no "internal" attachments: every one is public to its record's readers.
    internal: false,
    createdAt: isoOf(r.sys_created_on),
  };
  // The instance's `hash` is the content's SHA-256 on current releases; an older (MD5) one is not used.
  if (r.hash && SHA256.test(r.hash.toLowerCase())) a.sha256 = r.hash.toLowerCase();
  return a;
}

export interface ServiceNowAttachmentDeps {
  client: ServiceNowClient;
  /** The table of a record the tracker knows (or can find). */
  tableOf(entityId: string): Promise<string | undefined>;
  /** A write was made: the tracker's change feed should look again. */
  onWrite?(): void;
}

/**
 * @example const files = createServiceNowAttachments({ client, tableOf }); await files.fill(entities);
 */
export function createServiceNowAttachments(deps: ServiceNowAttachmentDeps) {
  const { client } = deps;

  async function json<S extends z.ZodType>(schema: S, res: Response, table?: string): Promise<z.infer<S>> {
    const ctx = { table: table ?? 'sys_attachment', operation: 'read' as const, oauth: false };
    return checkShape(schema, parseJson(await res.text(), ctx), ctx) as z.infer<S>;
  }

  async function list(query: string): Promise<AttachmentRecord[]> {
    const res = await client.raw({
      method: 'GET',
      path: '/api/now/attachment',
      params: { sysparm_query: query, sysparm_limit: '1000' },
      table: 'sys_attachment',
      operation: 'read',
      idempotent: true,
    });
    return (await json(many, res)).result;
  }

  async function record(id: string): Promise<AttachmentRecord | undefined> {
    if (!SYS_ID.test(id)) return undefined;
    try {
      const res = await client.raw({
        method: 'GET',
        path: `/api/now/attachment/${id}`,
        table: 'sys_attachment',
        sysId: id,
        operation: 'read',
        idempotent: true,
      });
      return (await json(one, res)).result;
    } catch (err) {
      if ((err as { code?: string }).code === 'SERVICENOW_NOT_FOUND') return undefined;
      throw err;
    }
  }

  const files: TrackerAttachments & { fill(entities: Entity[]): Promise<void> } = {
    async list(entityId) {
      if (!SYS_ID.test(entityId)) return [];
      return (await list(`table_sys_id=${entityId}`)).map(toAttachment);
    },
    async get(id) {
      const r = await record(id);
      return r ? { entityId: r.table_sys_id, attachment: toAttachment(r) } : undefined;
    },
    async open(id) {
      if (!SYS_ID.test(id)) throw notFound('Attachment', id);
      const res = await client.raw({
        method: 'GET',
        path: `/api/now/attachment/${id}/file`,
        table: 'sys_attachment',
        sysId: id,
        operation: 'read',
        idempotent: true,
      });
      if (!res.body) return (async function* () {})();
      return res.body as unknown as AsyncIterable<Uint8Array>;
    },
    async add(entityId, file) {
      const table = SYS_ID.test(entityId) ? await deps.tableOf(entityId) : undefined;
      if (!table) throw notFound('Entity', entityId);
      const res = await client.raw({
        method: 'POST',
        path: '/api/now/attachment/file',
        params: { table_name: table, table_sys_id: entityId, file_name: file.filename },
        body: file.content,
        contentType: file.contentType,
        table: 'sys_attachment',
        operation: 'create',
        idempotent: false,
      });
      deps.onWrite?.();
      return toAttachment((await json(one, res)).result);
    },
    async remove(id) {
      if (!SYS_ID.test(id)) throw notFound('Attachment', id);
      const res = await client.raw({
        method: 'DELETE',
        path: `/api/now/attachment/${id}`,
        table: 'sys_attachment',
        sysId: id,
        operation: 'delete',
        idempotent: true,
      });
      await res.body?.cancel();
      deps.onWrite?.();
    },
    /** Sets `attachments` on entities read together: one Attachment API query per 100 records. */
    async fill(entities) {
      const ids = entities.map((e) => e.id).filter((id) => SYS_ID.test(id));
      const byRecord = new Map<string, Attachment[]>();
      for (let i = 0; i < ids.length; i += 100) {
        const rows = await list(`table_sys_idIN${ids.slice(i, i + 100).join(',')}`);
        for (const r of rows)
          byRecord.set(r.table_sys_id, [...(byRecord.get(r.table_sys_id) ?? []), toAttachment(r)]);
      }
      for (const e of entities) e.attachments = byRecord.get(e.id) ?? [];
    },
  };
  return files;
}
