// Entities as rules see them (fields flattened beside id, key and type) and the patch back to the tracker.
import type { FlatEntity } from '../sandbox/sandbox.ts';
import type { Entity, EntityFields } from '../trackers/tracker.ts';
import { own, sameJson } from './json.ts';

const META = new Set([
  'id',
  'key',
  'type',
  'comments',
  'attachments',
  'deleted',
  'version',
  'createdAt',
  'updatedAt',
]);

export function flatten(entity: Entity): FlatEntity {
  const flat: FlatEntity = {
    ...entity.fields,
    id: entity.id,
    key: entity.key,
    type: entity.type,
    comments: entity.comments,
  };
  if (entity.attachments) flat.attachments = entity.attachments;
  return flat;
}

/** The plain field values of a flat entity (no id, key, type, comments, attachments). */
export function fieldsOf(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) if (!META.has(k) && v !== undefined) out[k] = v;
  return out;
}

/** Fields whose value in `next` differs from `current` (a field missing from `next` is left alone). */
export function fieldPatch(
  current: Record<string, unknown>,
  next: Record<string, unknown>,
): Partial<EntityFields> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fieldsOf(next)))
    if (!sameJson(own(current, k) ?? null, v)) patch[k] = v;
  return patch as Partial<EntityFields>;
}
