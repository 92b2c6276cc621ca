// The admin API's contract as data: each route module lists its operations with their zod schemas; the
// validators below read requests through them (types flow to hono's `hc`), and the OpenAPI document is made from them.
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Role } from '../people/roles.ts';
import type { AppEnv } from './app-env.ts';
import { readJson, readQuery } from './body.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One route as published: its method and path inside its module, what it reads, what it answers.
 * `responses` maps a status to the body's schema (`null`: no body, `'text/csv'`: a CSV download).
 * @example
 * export const nodeOperations = [operation({ method: 'get', path: '/', operationId: 'getNode',
 *   tag: 'Node', summary: 'This node', responses: { 200: nodeView } })];
 */
export interface Operation {
  method: Method;
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  body?: z.ZodType;
  /** A raw request body of any media type (an upload), described here; streamed, not JSON. */
  rawBody?: string;
  query?: z.ZodType;
  responses: Record<number, z.ZodType | null | TextBody>;
  /** Another media type a status may answer instead, when asked (`?format=csv`): `{ 200: 'text/csv' }`. */
  alternates?: Record<number, TextBody>;
  /** Problem statuses this route may answer besides 401 (e.g. 404, 409, 422): bodies of `problemSchema`. */
  problems?: number[];
  /** Public routes need no admin credentials. */
  public?: boolean;
  /** Credentials other than the document's default (bearer or session), e.g. the metrics token. */
  security?: Record<string, string[]>[];
  /**
   * The least role that may call it. Absent: `viewer` for a GET, `admin` for anything else (the one policy,
   * `requiredRole` in core/http/access.ts); declare `rules` or `viewer` to open a write to more people.
   */
  role?: Role;
  /**
   * What a successful call records in the audit log: a dotted action (`trigger.created`), which the handler may
   * refine through `c.var.audit`; or `{ none: why }` for a call that changes nothing. Every admin route that is
   * not a GET declares one (tests/access.test.ts checks it, and that each one records).
   */
  audit?: AuditAction;
}

/** A dotted audit action, or why a route records none. */
export type AuditAction = string | { none: string };

/** A download, named by its media type (`'text/csv'`; any type, the star pair: a file of whatever type it has). */
export type TextBody = `text/${string}` | '*/*';

/** Every error answer (application/problem+json); `errors` lists the fields of a 422 `validation_failed`. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine code, e.g. `invitation_expired`'),
    errors: z
      .array(
        z.union([
          z.strictObject({ path: z.string(), message: z.string() }),
          z.strictObject({
            script: z.enum(['outgoing', 'incoming']),
            message: z.string(),
            line: z.number().int(),
            column: z.number().int(),
          }),
        ]),
      )
      .optional()
      .describe('422: the fields that are not valid, or where a script does not compile'),
  })
  .catchall(z.unknown());

/** The problem statuses the document describes, with what each usually means. */
export const PROBLEMS: Record<number, string> = {
  400: 'Bad request (e.g. invalid_json, invalid_cursor)',
  401: 'unauthorized: no valid admin token or session',
  403: 'forbidden: the role may not do this (or `csrf_rejected`: a cookie write from another origin)',
  404: 'not_found',
  409: 'Conflict (e.g. mode_not_editable, invitation_used)',
  410: 'Gone (e.g. invitation_expired)',
  413: 'payload_too_large',
  415: 'unsupported_media_type: the body must be JSON',
  501: 'not_supported: the system of record cannot do this',
  422: 'validation_failed, with `errors: [{path, message}]`',
  429: 'rate_limited',
  502: 'The other host could not be reached',
  503: 'A part of the host is not running (e.g. the rule sandbox)',
};

/** The problem statuses an operation may answer: 401 and 403 (`forbidden` for the role) unless public, then its own. */
export const problemStatuses = (o: Operation): number[] => [
  ...new Set([...(o.public ? [] : [401, 403]), ...(o.problems ?? [])]),
];

export const operation = <const O extends Operation>(o: O): O => o;

/**
 * The role policy, in one place: the least role an admin route needs. Writes need `admin` unless the route
 * declares otherwise; reads need `viewer` unless the route declares otherwise (a GET that shows a secret).
 * @example requiredRole({ method: 'put', role: 'rules' }) // 'rules'; requiredRole({ method: 'post' }) // 'admin'
 */
export function requiredRole(o: Pick<Operation, 'method' | 'role'>): Role {
  return o.role ?? (o.method === 'get' ? 'viewer' : 'admin');
}

/** Validates the JSON body (415 for non-JSON, bounded depth, problem+json `validation_failed`) into `c.req.valid('json')`. */
export function jsonBody<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<AppEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('json', (await readJson(c, schema)) as object);
    await next();
  };
}

/** Validates the query string into `c.req.valid('query')`. */
export function queryOf<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<AppEnv, string, { in: { query: z.input<S> }; out: { query: z.output<S> } }> {
  return async (c, next) => {
    c.req.addValidatedData('query', readQuery(c, schema) as object);
    await next();
  };
}

type JsonSchema = Record<string, unknown>;
const toSchema = (s: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** The shared components: the problem schema and one response per problem status. */
export function components() {
  return {
    schemas: { Problem: toSchema(problemSchema, 'output') },
    responses: Object.fromEntries(
      Object.entries(PROBLEMS).map(([s, description]) => [
        `Problem${s}`,
        {
          description,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      ]),
    ),
  };
}

/** `/:id` -> `/{id}`, joined to its mount prefix, without a trailing slash. */
export function templateOf(prefix: string, path: string): string {
  const full = `${prefix}${path === '/' ? '' : path}` || '/';
  return full.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The OpenAPI path items of operations mounted at their prefixes. */
export function pathItems(mounted: ReadonlyArray<[prefix: string, ops: readonly Operation[]]>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [prefix, ops] of mounted) {
    for (const o of ops) {
      const p = templateOf(prefix, o.path);
      const params = [...p.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const query = o.query ? toSchema(o.query, 'input') : undefined;
      const queryParams = Object.entries((query?.properties ?? {}) as Record<string, JsonSchema>).map(
        ([name, schema]) => ({
          name,
          in: 'query',
          required: ((query?.required ?? []) as string[]).includes(name),
          schema,
        }),
      );
      const responses: Record<string, unknown> = {};
      for (const [status, body] of Object.entries(o.responses)) {
        responses[status] =
          body === null
            ? { description: 'No content' }
            : typeof body === 'string'
              ? {
                  description: body === '*/*' ? 'The file' : body,
                  content: {
                    [body]: {
                      schema: body === '*/*' ? { type: 'string', format: 'binary' } : { type: 'string' },
                    },
                  },
                }
              : { description: 'OK', content: { 'application/json': { schema: toSchema(body, 'output') } } };
      }
      for (const [status, type] of Object.entries(o.alternates ?? {})) {
        const r = responses[status] as { content?: Record<string, unknown> } | undefined;
        if (r?.content) r.content[type] = { schema: { type: 'string' } };
      }
      for (const s of problemStatuses(o))
        responses[String(s)] = { $ref: `#/components/responses/Problem${s}` };
      paths[p] ??= {};
      paths[p][o.method] = {
        tags: [o.tag],
        operationId: o.operationId,
        summary: o.summary,
        ...(o.description ? { description: o.description } : {}),
        ...(params.length || queryParams.length ? { parameters: [...params, ...queryParams] } : {}),
        ...(o.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: toSchema(o.body, 'input') } },
              },
            }
          : o.rawBody
            ? {
                requestBody: {
                  required: true,
                  description: o.rawBody,
                  content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
                },
              }
            : {}),
        ...(o.security ? { security: o.security } : o.public ? { security: [] } : {}),
        ...(o.public ? {} : { 'x-tandem-role': requiredRole(o) }),
        ...(typeof o.audit === 'string' ? { 'x-tandem-audit': o.audit } : {}),
        responses,
      };
    }
  }
  return paths;
}
