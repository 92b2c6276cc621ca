// Admin routes of webhook notifications: targets (URL and secret kept sealed), a test send, and the delivery log.
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.ts';
import { NOTIFICATION_EVENTS, NOTIFICATION_FORMATS } from '../../notifications/events.ts';
import type { NotificationStore } from '../../notifications/notification-store.ts';
import type { Notifier } from '../../notifications/notifier.ts';
import type { AppEnv } from '../app-env.ts';
import { jsonBody, operation, queryOf } from '../contract.ts';

const targetSchema = z.strictObject({
  id: z.string(),
  url: z.string().describe('Shortened for display: the rest of a webhook URL can work as a password'),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  format: z.enum(NOTIFICATION_FORMATS),
  hasSecret: z
    .boolean()
    .describe('Whether bodies are signed (`X-Tandem-Signature`); the secret is never shown'),
  downAfterSeconds: z.number().int(),
  createdAt: z.string(),
});

export const deliverySchema = z.strictObject({
  id: z.string(),
  targetId: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable().describe("The receiver's HTTP status on the last attempt"),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

const createBody = z.strictObject({
  url: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .describe('An http or https URL; requests go there and nowhere else'),
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1),
  secret: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('Signs each body: HMAC-SHA256, sent as `X-Tandem-Signature`'),
  format: z.enum(NOTIFICATION_FORMATS).default('json'),
  downAfterSeconds: z
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .default(300)
    .describe('`connection.down` waits this long before it tells'),
});
const deliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
});

const T = 'Notifications';
export const notificationOperations = [
  operation({
    method: 'post',
    path: '/',
    operationId: 'createNotificationTarget',
    tag: T,
    summary: 'Add a webhook target for chosen events',
    body: createBody,
    responses: { 201: targetSchema },
    problems: [415, 422],
    audit: 'notification.created',
  }),
  operation({
    method: 'get',
    path: '/',
    operationId: 'listNotificationTargets',
    tag: T,
    summary: 'Webhook targets',
    responses: { 200: z.strictObject({ items: z.array(targetSchema) }) },
  }),
  operation({
    method: 'delete',
    path: '/:id',
    operationId: 'deleteNotificationTarget',
    tag: T,
    summary: 'Remove a target and its delivery log',
    responses: { 204: null },
    problems: [404],
    audit: 'notification.deleted',
  }),
  operation({
    method: 'post',
    path: '/:id/test',
    operationId: 'testNotificationTarget',
    tag: T,
    summary: 'Send a test message now, once; answers how it went',
    responses: { 200: deliverySchema },
    problems: [404],
    audit: 'notification.tested',
  }),
  operation({
    method: 'get',
    path: '/:id/deliveries',
    operationId: 'listNotificationDeliveries',
    tag: T,
    summary: "A target's latest deliveries, newest first",
    query: deliveriesQuery,
    responses: { 200: z.strictObject({ items: z.array(deliverySchema), nextCursor: z.string().optional() }) },
    problems: [404, 422],
  }),
];

export const notificationRoutes = ({ store, notifier }: { store: NotificationStore; notifier: Notifier }) =>
  new Hono<AppEnv>()
    .post('/', jsonBody(createBody), async (c) => {
      const body = c.req.valid('json');
      const target = await store.create(body);
      c.var.audit?.note({
        target: `notification:${target.id}`,
        detail: {
          url: target.url,
          events: target.events,
          format: target.format,
          hasSecret: target.hasSecret,
        },
      });
      return c.json(target, 201);
    })
    .get('/', async (c) => c.json({ items: await store.list() }))
    .delete('/:id', async (c) => {
      const target = await store.remove(c.req.param('id'));
      c.var.audit?.note({ detail: { url: target.url } });
      return c.body(null, 204);
    })
    .post('/:id/test', async (c) => {
      const delivery = await notifier.test(c.req.param('id'));
      if (!delivery) throw notFound('Notification target', c.req.param('id'));
      c.var.audit?.note({ detail: { status: delivery.status, lastStatus: delivery.lastStatus } });
      return c.json(delivery);
    })
    .get('/:id/deliveries', queryOf(deliveriesQuery), async (c) => {
      const id = c.req.param('id');
      if (!(await store.get(id))) throw notFound('Notification target', id);
      const q = c.req.valid('query');
      return c.json(await store.deliveries(id, q.limit, q.cursor));
    });
