// Webhook targets (URL and secret sealed at rest) and their deliveries: queued, claimed, finished, listed, pruned.
import { nanoid } from 'nanoid';
import type { Db } from '../../storage/schema.ts';
import { notFound } from '../errors.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { NotificationEventName, NotificationFormat } from './events.ts';
import { displayUrl, parseTargetUrl } from './target-url.ts';

/** A target as the API shows it: the URL shortened (it may itself be a credential), never the secret. */
export interface NotificationTarget {
  id: string;
  url: string;
  events: NotificationEventName[];
  format: NotificationFormat;
  hasSecret: boolean;
  downAfterSeconds: number;
  createdAt: string;
}

export interface Delivery {
  id: string;
  targetId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  finishedAt: string | null;
}

export interface NewTarget {
  url: string;
  events: NotificationEventName[];
  format: NotificationFormat;
  secret?: string | undefined;
  downAfterSeconds: number;
}

/** Deliveries kept per target in the log (older ones are pruned). */
const KEEP_DELIVERIES = 200;

type TargetRow = {
  id: string;
  url_sealed: string;
  url_display: string;
  events: string;
  format: string;
  secret_sealed: string | null;
  down_after_seconds: number;
  created_at: string;
};

const targetView = (r: TargetRow): NotificationTarget => ({
  id: r.id,
  url: r.url_display,
  events: JSON.parse(r.events) as NotificationEventName[],
  format: r.format as NotificationFormat,
  hasSecret: r.secret_sealed !== null,
  downAfterSeconds: r.down_after_seconds,
  createdAt: r.created_at,
});

type DeliveryRow = {
  id: string;
  target_id: string;
  event: string;
  status: Delivery['status'];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string;
  finished_at: string | null;
};
const deliveryView = (r: DeliveryRow): Delivery => ({
  id: r.id,
  targetId: r.target_id,
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  finishedAt: r.finished_at,
});
const DELIVERY_COLUMNS = [
  'id',
  'target_id',
  'event',
  'status',
  'attempts',
  'last_status',
  'last_error',
  'created_at',
  'next_attempt_at',
  'finished_at',
] as const;

/**
 * The notification tables.
 * @example const t = await store.create({ url, events: ['run.finished'], format: 'slack', downAfterSeconds: 300 });
 */
export interface NotificationStore {
  create(input: NewTarget): Promise<NotificationTarget>;
  list(): Promise<NotificationTarget[]>;
  get(id: string): Promise<NotificationTarget | undefined>;
  /** The target with its URL and secret opened, for sending; `SECRET_UNREADABLE` if the key changed. */
  open(id: string): Promise<{ target: NotificationTarget; url: string; secret: string | null } | undefined>;
  remove(id: string): Promise<NotificationTarget>;
  enqueue(targetId: string, event: string, body: string, at: Date): Promise<string>;
  /** Pending deliveries whose time has come, oldest first. */
  due(at: Date, limit: number): Promise<Array<DeliveryRow & { body: string }>>;
  /** Takes a due delivery for one attempt (false: another process took it). */
  claim(id: string, seenNext: string, leaseUntil: Date): Promise<boolean>;
  record(
    id: string,
    outcome: Pick<
      DeliveryRow,
      'status' | 'attempts' | 'last_status' | 'last_error' | 'next_attempt_at' | 'finished_at'
    >,
  ): Promise<void>;
  delivery(id: string): Promise<Delivery | undefined>;
  deliveries(
    targetId: string,
    limit: number,
    before?: string,
  ): Promise<{ items: Delivery[]; nextCursor?: string }>;
}

export function createNotificationStore(db: Db, box: SecretBox, now: () => Date): NotificationStore {
  const row = (id: string) =>
    db.selectFrom('notification_targets').selectAll().where('id', '=', id).executeTakeFirst();
  return {
    async create(input) {
      const url = parseTargetUrl(input.url);
      const id = nanoid();
      const r: TargetRow = {
        id,
        url_sealed: box.seal(url.toString(), `notification-url:${id}`),
        url_display: displayUrl(url),
        events: JSON.stringify([...new Set(input.events)]),
        format: input.format,
        secret_sealed: input.secret ? box.seal(input.secret, `notification-secret:${id}`) : null,
        down_after_seconds: input.downAfterSeconds,
        created_at: now().toISOString(),
      };
      await db.insertInto('notification_targets').values(r).execute();
      return targetView(r);
    },

    async list() {
      return (await db.selectFrom('notification_targets').selectAll().orderBy('created_at').execute()).map(
        targetView,
      );
    },

    async get(id) {
      const r = await row(id);
      return r ? targetView(r) : undefined;
    },

    async open(id) {
      const r = await row(id);
      if (!r) return undefined;
      return {
        target: targetView(r),
        url: box.open(r.url_sealed, `notification-url:${id}`),
        secret: r.secret_sealed === null ? null : box.open(r.secret_sealed, `notification-secret:${id}`),
      };
    },

    async remove(id) {
      return db.transaction().execute(async (tx) => {
        const r = await tx
          .selectFrom('notification_targets')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        if (!r) throw notFound('Notification target', id);
        await tx.deleteFrom('notification_deliveries').where('target_id', '=', id).execute();
        await tx.deleteFrom('notification_targets').where('id', '=', id).execute();
        return targetView(r);
      });
    },

    async enqueue(targetId, event, body, at) {
      const id = nanoid();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('notification_deliveries')
          .values({
            id,
            target_id: targetId,
            event,
            body,
            status: 'pending',
            attempts: 0,
            next_attempt_at: at.toISOString(),
            last_status: null,
            last_error: null,
            created_at: at.toISOString(),
            finished_at: null,
          })
          .execute();
        // The log keeps the latest deliveries of each target; finished ones past that go.
        const old = await tx
          .selectFrom('notification_deliveries')
          .select('id')
          .where('target_id', '=', targetId)
          .where('status', '!=', 'pending')
          .orderBy('created_at', 'desc')
          .offset(KEEP_DELIVERIES)
          .limit(1000)
          .execute();
        if (old.length)
          await tx
            .deleteFrom('notification_deliveries')
            .where(
              'id',
              'in',
              old.map((o) => o.id),
            )
            .execute();
      });
      return id;
    },

    async due(at, limit) {
      return db
        .selectFrom('notification_deliveries')
        .select([...DELIVERY_COLUMNS, 'body'])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', at.toISOString())
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
    },

    async claim(id, seenNext, leaseUntil) {
      const r = await db
        .updateTable('notification_deliveries')
        .set({ next_attempt_at: leaseUntil.toISOString() })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '=', seenNext)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async record(id, outcome) {
      await db.updateTable('notification_deliveries').set(outcome).where('id', '=', id).execute();
    },

    async delivery(id) {
      const r = await db
        .selectFrom('notification_deliveries')
        .select(DELIVERY_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? deliveryView(r) : undefined;
    },

    async deliveries(targetId, limit, before) {
      let q = db
        .selectFrom('notification_deliveries')
        .select(DELIVERY_COLUMNS)
        .where('target_id', '=', targetId);
      if (before) {
        // `<createdAt>|<id>`: deliveries made in the same millisecond keep their place.
        const [at = '', id = ''] = before.split('|');
        q = q.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(deliveryView);
      const last = items.at(-1);
      return rows.length > limit && last ? { items, nextCursor: `${last.createdAt}|${last.id}` } : { items };
    },
  };
}
