// Validation of entity fields at the edge: standard fields typed, custom fields any JSON, sizes capped.
import { z } from 'zod';
import { type FieldIssue, validationFailed } from '../../errors.ts';
import { ENTITY_TYPES, type EntityFields, type EntityType } from '../tracker.ts';

const MAX_CUSTOM_JSON = 64 * 1024;
const CUSTOM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED = new Set(['id', 'key', 'type', 'version', 'comments', 'createdAt', 'updatedAt']);

export const entityTypeSchema = z.enum(ENTITY_TYPES);

const standard = {
  summary: z.string().trim().min(1, 'must not be empty').max(500),
  description: z.string().max(100_000),
  status: z.string().trim().min(1).max(64),
  priority: z.number().int().min(1).max(5),
  assignee: z.string().max(320).nullable(),
};

const fieldsSchema = z.object(standard).partial().catchall(z.unknown());

export function toIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
}

/** Checks a partial field set; throws 422 naming every offending field. */
export function parseFields(input: unknown, prefix = 'fields'): Partial<EntityFields> {
  const parsed = fieldsSchema.safeParse(input);
  if (!parsed.success) throw validationFailed(toIssues(parsed.error, prefix));
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(parsed.data)) {
    if (Object.hasOwn(standard, name)) continue;
    if (RESERVED.has(name)) issues.push({ path: `${prefix}.${name}`, message: 'is reserved' });
    else if (!CUSTOM_NAME.test(name))
      issues.push({ path: `${prefix}.${name}`, message: 'is not a valid field name' });
    else if (value === undefined) issues.push({ path: `${prefix}.${name}`, message: 'must be a JSON value' });
  }
  const custom = customOf(parsed.data);
  if (JSON.stringify(custom).length > MAX_CUSTOM_JSON) {
    issues.push({ path: prefix, message: `custom fields exceed ${MAX_CUSTOM_JSON} bytes` });
  }
  if (issues.length) throw validationFailed(issues);
  return parsed.data as Partial<EntityFields>;
}

export function parseType(input: unknown): EntityType {
  const parsed = entityTypeSchema.safeParse(input);
  if (!parsed.success)
    throw validationFailed([{ path: 'type', message: `must be one of ${ENTITY_TYPES.join(', ')}` }]);
  return parsed.data;
}

export function customOf(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (!Object.hasOwn(standard, k)) out[k] = v;
  return out;
}

export const STANDARD_FIELDS = Object.keys(standard) as (keyof typeof standard)[];
