// The audit log, read-only: a page at a time with filters, or everything the filters match as CSV.
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { AppEnv } from '../app-env.ts';
import { operation, queryOf } from '../contract.ts';

export const auditRecordSchema = z.strictObject({
  id: z.string(),
  at: z.string(),
  actor: z.string().describe("The user's email, or `admin-token`"),
  token: z.string().nullable().describe('The name of the personal API token used, if any'),
  address: z.string().nullable().describe('The client address (through a trusted proxy: the one it names)'),
  action: z.string().describe('A dotted name such as `connection.initiated` or `rules.published`'),
  target: z.string().nullable().describe('What was acted on, as `<kind>:<id>`'),
  detail: z.record(z.string(), z.unknown()),
});

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(40).optional(),
  actor: z.string().max(320).optional(),
  action: z
    .string()
    .max(100)
    .regex(
      /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/,
      'must be a dotted action such as `rules.published` or `connection.*`',
    )
    .optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this time (ISO 8601)'),
  format: z.enum(['json', 'csv']).default('json'),
});

export const auditOperations = [
  operation({
    method: 'get',
    path: '/',
    operationId: 'listAudit',
    tag: 'Audit',
    summary: 'Changes made through the API, newest first',
    description:
      '`action` takes one action or a prefix (`connection.*`); `?format=csv` downloads everything the filters match.',
    query: auditQuery,
    responses: {
      200: z.strictObject({ items: z.array(auditRecordSchema), nextCursor: z.string().optional() }),
    },
    alternates: { 200: 'text/csv' },
    problems: [400, 422],
  }),
];

export const auditRoutes = ({ audit }: { audit: AuditLog }) =>
  new Hono<AppEnv>().get('/', queryOf(auditQuery), async (c) => {
    const { format, since, ...q } = c.req.valid('query');
    const filters = { ...q, ...(since ? { since: new Date(since).toISOString() } : {}) };
    if (format === 'csv')
      return c.body(await audit.csv(filters), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="tandem-audit.csv"',
      });
    return c.json(await audit.page(filters));
  });
