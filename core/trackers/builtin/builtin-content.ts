// The built-in tracker's attachments (metadata rows, bytes in a BlobStore) and comment edits, each change logged.
import type { AttachmentTable } from '../../../storage/content-tables.ts';
import type { DbExecutor, EntityRow } from '../../../storage/schema.ts';
import type { BlobStore } from '../../blobs/blob-store.ts';
import { notFound } from '../../errors.ts';
import { sortableId } from '../../util/sortable-id.ts';
import type {
  Attachment,
  Change,
  Entity,
  Origin,
  TrackerAttachments,
  TrackerCommentEdits,
  WriteOptions,
} from '../tracker.ts';

/** What the tracker's view lends these writes: its transaction, loads and change log. */
export interface ContentParts {
  exec: DbExecutor;
  /**
   * Inside a caller's transaction: blobs are collected a moment later on `root` (after the commit; the store
   * may use another connection, and a rolled back removal leaves its row, which keeps the blob).
   */
  joined: boolean;
  root: DbExecutor;
  blobs: BlobStore;
  inTx<T>(fn: (tx: DbExecutor) => Promise<T>): Promise<T>;
  mustLoad(tx: DbExecutor, id: string): Promise<Entity>;
  checkVersion(e: Entity, opts: WriteOptions): void;
  logChange(
    tx: DbExecutor,
    row: Pick<EntityRow, 'id' | 'type' | 'version'>,
    op: Change['op'],
    origin: Origin,
  ): Promise<Change>;
  emit(change: Change): void;
}

export function toAttachment(r: AttachmentTable): Attachment {
  return {
    id: r.id,
    filename: r.filename,
    contentType: r.content_type,
    size: Number(r.size),
    sha256: r.sha256,
    internal: r.internal === 1,
    createdAt: r.created_at,
  };
}

/** Attachments of these entities, oldest first. */
export async function attachmentsOf(exec: DbExecutor, entityIds: readonly string[]) {
  const out = new Map<string, Attachment[]>();
  if (entityIds.length === 0) return out;
  const rows = await exec
    .selectFrom('attachments')
    .selectAll()
    .where('entity_id', 'in', entityIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) out.set(r.entity_id, [...(out.get(r.entity_id) ?? []), toAttachment(r)]);
  return out;
}

/** How long after a removal inside a caller's transaction its blob is looked at again. */
const COLLECT_AFTER_MS = 2000;

/** Drops blobs no attachment uses any more (after the rows went). */
export async function collectBlobs(exec: DbExecutor, blobs: BlobStore, shas: string[]): Promise<void> {
  for (const sha of new Set(shas)) {
    const used = await exec
      .selectFrom('attachments')
      .select('id')
      .where('sha256', '=', sha)
      .executeTakeFirst();
    if (!used) await blobs.delete(sha);
  }
}

/** One write that moves the entity's version on and logs the change with the given op. */
async function bump(p: ContentParts, tx: DbExecutor, entity: Entity, op: Change['op'], origin: Origin) {
  const version = entity.version + 1;
  await tx
    .updateTable('entities')
    .set({ version, updated_at: new Date().toISOString() })
    .where('id', '=', entity.id)
    .execute();
  return p.logChange(tx, { id: entity.id, type: entity.type, version }, op, origin);
}

export function builtinAttachments(p: ContentParts): TrackerAttachments {
  async function find(id: string) {
    return p.exec.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
  }
  return {
    async list(entityId) {
      return (await attachmentsOf(p.exec, [entityId])).get(entityId) ?? [];
    },
    async get(id) {
      const row = await find(id);
      return row ? { entityId: row.entity_id, attachment: toAttachment(row) } : undefined;
    },
    async open(id) {
      const row = await find(id);
      if (!row) throw notFound('Attachment', id);
      return p.blobs.read(row.sha256);
    },
    async add(entityId, file, opts) {
      // The bytes go first (content-addressed, so a blob without a row is harmless); a blob the store
      // has already is not read again.
      const known = file.sha256 ? await p.blobs.size(file.sha256) : undefined;
      const blob =
        known !== undefined && file.sha256
          ? { sha256: file.sha256, size: known }
          : await p.blobs.put(file.content);
      const row: AttachmentTable = {
        id: sortableId(),
        entity_id: entityId,
        filename: file.filename,
        content_type: file.contentType,
        size: blob.size,
        sha256: blob.sha256,
        internal: file.internal ? 1 : 0,
        created_at: new Date().toISOString(),
      };
      const change = await p.inTx(async (tx) => {
        const entity = await p.mustLoad(tx, entityId);
        p.checkVersion(entity, opts);
        await tx.insertInto('attachments').values(row).execute();
        return bump(p, tx, entity, 'attachment', opts.origin);
      });
      p.emit(change);
      return toAttachment(row);
    },
    async remove(id, opts) {
      const { change, sha } = await p.inTx(async (tx) => {
        const row = await tx.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw notFound('Attachment', id);
        const entity = await p.mustLoad(tx, row.entity_id);
        p.checkVersion(entity, opts);
        await tx.deleteFrom('attachments').where('id', '=', id).execute();
        return { change: await bump(p, tx, entity, 'attachment', opts.origin), sha: row.sha256 };
      });
      p.emit(change);
      if (!p.joined) await collectBlobs(p.exec, p.blobs, [sha]);
      else
        setTimeout(() => void collectBlobs(p.root, p.blobs, [sha]).catch(() => {}), COLLECT_AFTER_MS).unref();
    },
  };
}

export function builtinCommentEdits(p: ContentParts): TrackerCommentEdits {
  async function edit(entityId: string, commentId: string, opts: WriteOptions, body: string | null) {
    const { entity, change } = await p.inTx(async (tx) => {
      const current = await p.mustLoad(tx, entityId);
      p.checkVersion(current, opts);
      if (!current.comments.some((c) => c.id === commentId)) throw notFound('Comment', commentId);
      if (body === null) await tx.deleteFrom('comments').where('id', '=', commentId).execute();
      else await tx.updateTable('comments').set({ body }).where('id', '=', commentId).execute();
      const change = await bump(p, tx, current, 'comment', opts.origin);
      return { entity: await p.mustLoad(tx, entityId), change };
    });
    p.emit(change);
    return entity;
  }
  return {
    update: (entityId, commentId, body, opts) => edit(entityId, commentId, opts, body),
    remove: (entityId, commentId, opts) => edit(entityId, commentId, opts, null),
  };
}
