// Attachment metadata as it travels in replicas: checked on arrival, and what never goes back (mirrored copies).
import { z } from 'zod';
import type { Replica } from '../../sandbox/sandbox.ts';

/** One attachment of a replica, as the receiving side accepts it. */
export const replicaAttachment = z.object({
  id: z.string().min(1).max(200),
  filename: z.string().min(1).max(255),
  contentType: z.string().min(1).max(200),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  internal: z.boolean().optional(),
});
export type ReplicaAttachment = z.infer<typeof replicaAttachment>;

/** The attachments of a rule's output: valid ones, and a warning for each one that is not. */
export function attachmentsOf(list: unknown): { items: ReplicaAttachment[]; invalid: number } | undefined {
  if (!Array.isArray(list)) return undefined;
  const items: ReplicaAttachment[] = [];
  let invalid = 0;
  for (const a of list.slice(0, 1000)) {
    const parsed = replicaAttachment.safeParse(a);
    if (parsed.success) items.push(parsed.data);
    else invalid++;
  }
  return { items, invalid };
}

/** Drops attachments that came from this peer (it has them already), so they never echo back as new ones. */
export function withoutMirroredAttachments(replica: Replica, mirrored: Set<string> | undefined): Replica {
  if (!Array.isArray(replica.attachments) || !mirrored?.size) return replica;
  const theirs = (a: unknown) => {
    if (!a || typeof a !== 'object') return false;
    const { id, sha256 } = a as { id?: unknown; sha256?: unknown };
    return mirrored.has(String(id)) || (typeof sha256 === 'string' && mirrored.has(`sha:${sha256}`));
  };
  return { ...replica, attachments: replica.attachments.filter((a) => !theirs(a)) };
}
