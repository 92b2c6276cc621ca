// An entity's Details form as values: from the entity, what the admin changed, re-applied on a newer version, the patch.
import type { Entity } from '../../api.ts';

const STANDARD = ['summary', 'description', 'status', 'priority'] as const;
/** Fields the form does not show (the tracker keeps them; assignee is a user, not free text here). */
const HIDDEN = new Set<string>(['assignee']);

/** Every value as the form's inputs hold it: text; custom fields that are not text as JSON. */
export interface FormValues {
  summary: string;
  description: string;
  status: string;
  priority: string;
  custom: Record<string, string>;
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

export function formOf(entity: Entity): FormValues {
  const f = entity.fields;
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(f))
    if (!(STANDARD as readonly string[]).includes(k) && !HIDDEN.has(k) && v !== undefined)
      custom[k] = asText(v);
  return {
    summary: String(f.summary ?? ''),
    description: String(f.description ?? ''),
    status: String(f.status ?? ''),
    priority: f.priority === undefined || f.priority === null ? '' : String(f.priority),
    custom,
  };
}

/** The values the admin changed against `base` (the form as it was loaded). */
export function editsOf(base: FormValues, now: FormValues): Partial<FormValues> {
  const out: Partial<FormValues> = {};
  for (const k of STANDARD) if (now[k] !== base[k]) out[k] = now[k];
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(now.custom)) if (base.custom[k] !== v) custom[k] = v;
  if (Object.keys(custom).length) out.custom = custom;
  return out;
}

export const isDirty = (base: FormValues, now: FormValues) => Object.keys(editsOf(base, now)).length > 0;

/** The admin's edits laid over a newer version's values. */
export function reapply(latest: FormValues, edits: Partial<FormValues>): FormValues {
  const { custom, ...standard } = edits;
  return { ...latest, ...standard, custom: { ...latest.custom, ...custom } };
}

/** A custom field's text as its value: JSON where it parses and the field held JSON before, else the text. */
function typedValue(text: string, before: unknown): unknown {
  if (typeof before === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The fields to PATCH: what changed against the entity (custom fields typed as they were). */
export function patchOf(entity: Entity, now: FormValues): Record<string, unknown> {
  const base = formOf(entity);
  const edits = editsOf(base, now);
  const out: Record<string, unknown> = {};
  for (const k of ['summary', 'description', 'status'] as const)
    if (edits[k] !== undefined) out[k] = edits[k];
  if (edits.priority !== undefined && edits.priority !== '') out.priority = Number(edits.priority);
  for (const [k, v] of Object.entries(edits.custom ?? {})) out[k] = typedValue(v, entity.fields[k]);
  return out;
}

/** New custom fields as values (a number or JSON where the text is one, else the text). */
export function customValues(custom: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(custom)) if (v.trim() !== '') out[k] = typedValue(v, undefined);
  return out;
}
