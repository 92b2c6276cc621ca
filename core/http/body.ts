// Reads and validates JSON bodies and query strings at the edge.
import type { Context } from 'hono';
import type { z } from 'zod';
import { TandemError, validationFailed } from '../errors.ts';
import { toIssues } from '../trackers/builtin/entity-input.ts';

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  const text = await c.req.text();
  try {
    raw = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new TandemError('INVALID_JSON', 400, 'The request body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationFailed(toIssues(parsed.error));
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationFailed(toIssues(parsed.error));
  return parsed.data;
}
