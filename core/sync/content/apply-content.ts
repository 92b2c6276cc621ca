// The apply step's content: comment edits and deletions, attachments wanted or removed, linked comments shown to rules.
import { inChunks } from '../../../storage/chunks.ts';
import type { DbExecutor } from '../../../storage/schema.ts';
import type { FlatEntity } from '../../sandbox/sandbox.ts';
import type { Entity, Tracker, WriteOptions } from '../../trackers/tracker.ts';
import { attachmentsOf } from './attachment-meta.ts';
import type { ContentWrites } from './content-writes.ts';

/** What one entity already has from the partner: comment and attachment links, attachments still wanted. */
export interface EntityLinks {
  /** Local comment id -> the partner's comment id. */
  comments: Map<string, string>;
  /** The partner's attachment id -> the local copy's id. */
  attachments: Map<string, string>;
  /** The partner's attachment ids waiting for their file. */
  wants: Set<string>;
}

const NO_LINKS: EntityLinks = { comments: new Map(), attachments: new Map(), wants: new Set() };

/** The links of a batch's entities, in three queries for the batch. */
export async function linksOf(
  db: DbExecutor,
  connectionId: string,
  entityIds: string[],
): Promise<Map<string, EntityLinks>> {
  const out = new Map<string, EntityLinks>();
  if (entityIds.length === 0) return out;
  const of = (id: string) => {
    let l = out.get(id);
    if (!l) {
      l = { comments: new Map(), attachments: new Map(), wants: new Set() };
      out.set(id, l);
    }
    return l;
  };
  const comments = await inChunks(entityIds, (chunk) =>
    db
      .selectFrom('sync_comment_links')
      .select(['entity_id', 'local_comment_id', 'remote_comment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  for (const c of comments) of(c.entity_id).comments.set(c.local_comment_id, c.remote_comment_id);
  const files = await inChunks(entityIds, (chunk) =>
    db
      .selectFrom('sync_attachment_links')
      .select(['entity_id', 'remote_attachment_id', 'local_attachment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  for (const f of files) of(f.entity_id).attachments.set(f.remote_attachment_id, f.local_attachment_id);
  const wants = await inChunks(entityIds, (chunk) =>
    db
      .selectFrom('sync_attachment_wants')
      .select(['entity_id', 'remote_attachment_id'])
      .where('connection_id', '=', connectionId)
      .where('entity_id', 'in', chunk)
      .execute(),
  );
  for (const w of wants) of(w.entity_id).wants.add(w.remote_attachment_id);
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
  entity: Entity,
  out: FlatEntity,
  opts: WriteOptions,
  known: EntityLinks | undefined,
  content: ContentWrites,
  warn: (message: string) => void,
): Promise<Entity> {
  const links = (known ?? NO_LINKS).comments;
  if (!Array.isArray(out.comments) || links.size === 0) return entity;
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
      content.dropCommentLinks.push(comment.id);
    } else entity = await target.commentEdits.update(entity.id, comment.id, body.slice(0, 20_000), opts);
  }
  return entity;
}

/**
 * Attachments in the rule's output: a partner attachment not here yet is wanted (fetched, then added, by the
 * content worker); a local copy of a partner attachment the output leaves out is removed (true then: the
 * entity moved on). Attachments added here are never removed for being absent.
 */
export async function applyAttachments(
  target: Tracker,
  entity: Entity,
  out: FlatEntity,
  opts: WriteOptions,
  known: EntityLinks | undefined,
  content: ContentWrites,
  warn: (message: string) => void,
): Promise<boolean> {
  const listed = attachmentsOf(out.attachments);
  if (!listed || !target.attachments) return false;
  if (listed.invalid)
    warn(`${listed.invalid} attachment(s) in the rule's output are not valid metadata and were left out`);
  const local = new Set((entity.attachments ?? []).map((a) => a.id));
  const linked = (known ?? NO_LINKS).attachments;
  const wanted = (known ?? NO_LINKS).wants;
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
