// The apply step's content: comment edits and deletions, attachments wanted or removed, linked comments shown to rules.
import type { DbExecutor } from '../../../storage/schema.ts';
import type { FlatEntity } from '../../sandbox/sandbox.ts';
import type { Entity, Tracker, WriteOptions } from '../../trackers/tracker.ts';
import { attachmentsOf } from './attachment-meta.ts';
import type { ContentWrites } from './content-writes.ts';

/** Local comments that mirror a partner comment, per entity: local id -> the partner's id. */
export async function linkedComments(
  db: DbExecutor,
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  if (entityIds.length === 0) return out;
  const rows = await db
    .selectFrom('sync_comment_links')
    .select(['entity_id', 'local_comment_id', 'remote_comment_id'])
    .where('connection_id', '=', connectionId)
    .where('entity_id', 'in', entityIds)
    .execute();
  for (const r of rows) {
    const m = out.get(r.entity_id) ?? new Map<string, string>();
    m.set(r.local_comment_id, r.remote_comment_id);
    out.set(r.entity_id, m);
  }
  return out;
}

/** The incoming rule sees which local comments mirror the partner's (`remoteId`): merge then edits or drops them. */
export function withCommentLinks(flat: FlatEntity, links: Map<string, string> | undefined): FlatEntity {
  if (!links?.size || !Array.isArray(flat.comments)) return flat;
  return {
    ...flat,
    comments: flat.comments.map((c) => (links.has(c.id) ? { ...c, remoteId: links.get(c.id)! } : c)),
  };
}

/**
 * Edits and deletions of comments that mirror the partner's: a mirrored comment whose text changed in the
 * rule's output is edited, one the output leaves out is deleted. Comments written here are never deleted
 * for being absent (a rule that leaves comments alone keeps them all). A tracker that cannot edit or
 * delete comments (ServiceNow's journal) is skipped, with a warning in the log.
 */
export async function applyCommentEdits(
  target: Tracker,
  tx: DbExecutor,
  connectionId: string,
  entity: Entity,
  out: FlatEntity,
  opts: WriteOptions,
  warn: (message: string) => void,
): Promise<Entity> {
  if (!Array.isArray(out.comments)) return entity;
  const links = (await linkedComments(tx, connectionId, [entity.id])).get(entity.id);
  if (!links?.size) return entity;
  const wanted = new Map<string, string>();
  for (const c of out.comments as unknown[]) {
    if (!c || typeof c !== 'object') continue;
    const { id, body } = c as { id?: unknown; body?: unknown };
    if (typeof id === 'string' && typeof body === 'string') wanted.set(id, body);
  }
  for (const comment of entity.comments) {
    if (!links.has(comment.id)) continue;
    const body = wanted.get(comment.id);
    if (body === comment.body) continue;
    if (body !== undefined && body.trim() === '') continue;
    if (!target.commentEdits) {
      warn(
        `comment ${comment.id} changed at the partner, but the ${target.id} tracker cannot edit or delete comments`,
      );
      continue;
    }
    if (body === undefined) {
      entity = await target.commentEdits.remove(entity.id, comment.id, opts);
      await tx
        .deleteFrom('sync_comment_links')
        .where('connection_id', '=', connectionId)
        .where('local_comment_id', '=', comment.id)
        .execute();
    } else entity = await target.commentEdits.update(entity.id, comment.id, body.slice(0, 20_000), opts);
  }
  return entity;
}

/**
 * Attachments in the rule's output (true when a local copy was removed, so the entity moved on): a partner attachment not here yet is wanted (fetched, then added, by the
 * content worker); a local copy of a partner attachment the output leaves out is removed. Attachments added
 * here are never removed for being absent.
 */
export async function applyAttachments(
  target: Tracker,
  tx: DbExecutor,
  connectionId: string,
  entity: Entity,
  out: FlatEntity,
  opts: WriteOptions,
  content: ContentWrites,
  warn: (message: string) => void,
): Promise<boolean> {
  const listed = attachmentsOf(out.attachments);
  if (!listed || !target.attachments) return false;
  if (listed.invalid)
    warn(`${listed.invalid} attachment(s) in the rule's output are not valid metadata and were left out`);
  const local = new Set((entity.attachments ?? []).map((a) => a.id));
  const links = await tx
    .selectFrom('sync_attachment_links')
    .select(['remote_attachment_id', 'local_attachment_id'])
    .where('connection_id', '=', connectionId)
    .where('entity_id', '=', entity.id)
    .execute();
  const wants = await tx
    .selectFrom('sync_attachment_wants')
    .select('remote_attachment_id')
    .where('connection_id', '=', connectionId)
    .where('entity_id', '=', entity.id)
    .execute();
  const linked = new Map(links.map((l) => [l.remote_attachment_id, l.local_attachment_id]));
  const wanted = new Set(wants.map((w) => w.remote_attachment_id));
  const named = new Set(listed.items.map((a) => a.id));
  const now = new Date().toISOString();
  for (const a of listed.items) {
    if (local.has(a.id) || linked.has(a.id) || wanted.has(a.id)) continue;
    content.wants.push({
      remote_attachment_id: a.id,
      entity_id: entity.id,
      sha256: a.sha256,
      size: a.size,
      filename: a.filename,
      content_type: a.contentType,
      internal: a.internal ? 1 : 0,
      attempts: 0,
      next_at: now,
      last_error: null,
      created_at: now,
    });
  }
  let removed = false;
  for (const [remoteId, localId] of linked) {
    if (named.has(remoteId) || named.has(localId)) continue;
    if (local.has(localId)) {
      await target.attachments.remove(localId, opts);
      removed = true;
    }
    content.dropLinks.push(remoteId);
  }
  for (const remoteId of wanted) if (!named.has(remoteId)) content.dropWants.push(remoteId);
  return removed;
}
