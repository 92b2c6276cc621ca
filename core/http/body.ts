// Reads and validates JSON bodies and query strings at the edge.
import type { Context } from 'hono';
import type { z } from 'zod';
import { TandemError, validationFailed } from '../errors.ts';
import { parseBoundedJson } from '../json-bounds.ts';
import { toIssues } from '../trackers/builtin/entity-input.ts';

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  // A text/plain body is a "simple" cross-site request that needs no preflight: JSON only, declared.
  if (text !== '' && !JSON_TYPE.test(c.req.header('content-type') ?? ''))
    throw new TandemError(
      'UNSUPPORTED_MEDIA_TYPE',
      415,
      'The request body must be JSON, sent with Content-Type: application/json',
    );
  const read = text === '' ? { ok: true as const, value: {} } : parseBoundedJson(text);
  if (!read.ok && read.reason === 'syntax')
    throw new TandemError('INVALID_JSON', 400, 'The request body is not valid JSON');
  // Deeper input would reach recursive code (validation, serialisation) and fail as a 500 there.
  if (!read.ok) throw validationFailed([read.problem], `${read.problem.path} ${read.problem.message}`);
  const raw = read.value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationFailed(toIssues(parsed.error));
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationFailed(toIssues(parsed.error));
  return parsed.data;
}
