// An example tracker module (docs/trackers.md): work items in one JSON file, loaded by `tandem start --tracker <this file>`.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type FieldIssue, TandemError } from '../../../core/errors.ts';
import type { CreateTracker } from '../../../core/trackers/tracker.ts';
import {
  type Change,
  type Comment,
  ENTITY_TYPES,
  type Entity,
  type EntityFields,
  type Tracker,
  type WriteContext,
  type WriteOutcome,
  type WriteRequest,
} from '../../../core/trackers/tracker.ts';
import type { TrackerReport } from '../../../core/trackers/tracker-report.ts';
import { simpleWrites } from '../../../core/trackers/write-outcomes.ts';

/** The whole store: the file holds this object. */
interface Store {
  entities: Record<string, Entity>;
  /** The change feed; a cursor is an index into it. */
  changes: Change[];
  /** Idempotency key -> the entity id its write touched. */
  applied: Record<string, string>;
  nextKey: number;
}

const OPTIONS = ['file'];
const SECRET = /pass|secret|token|key|credential/i;

/** `{ "file": "items.json" }` (relative to the data directory; default `json-tracker.json`). */
function fileOf(options: Readonly<Record<string, unknown>>, dataDir: string): string {
  for (const k of Object.keys(options)) {
    if (OPTIONS.includes(k)) continue;
    // Name the option, never its value: it may be a secret put here by mistake.
    const accepts = SECRET.test(k)
      ? 'absent: secrets come from the environment'
      : `one of ${OPTIONS.join(', ')}`;
    throw new TandemError('TRACKER_CONFIG_INVALID', 400, `${k} must be ${accepts}`, { option: k });
  }
  const file = options.file ?? 'json-tracker.json';
  if (typeof file !== 'string' || file === '')
    throw new TandemError('TRACKER_CONFIG_INVALID', 400, 'file must be a file name', { option: 'file' });
  return path.resolve(dataDir, file);
}

/** What the standard fields must be (custom fields are any JSON); a create needs a summary. */
const CHECKS: Record<string, [(v: unknown) => boolean, string]> = {
  summary: [(v) => typeof v === 'string' && v.trim() !== '', 'must be a non-empty string'],
  description: [(v) => typeof v === 'string', 'must be a string'],
  status: [(v) => typeof v === 'string' && v !== '', 'must be a non-empty string'],
  priority: [
    (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 5,
    'must be an integer 1-5',
  ],
  assignee: [(v) => v === null || typeof v === 'string', 'must be a string or null'],
};

function fieldIssues(request: WriteRequest): FieldIssue[] {
  if (request.op !== 'create' && request.op !== 'update') return [];
  const fields: Record<string, unknown> = { ...request.fields };
  if (request.op === 'create') fields.summary ??= '';
  return Object.entries(CHECKS).flatMap(([name, [ok, message]]) =>
    name in fields && !ok(fields[name]) ? [{ path: `fields.${name}`, message }] : [],
  );
}

export const createTracker: CreateTracker = (options, { dataDir, log }) => {
  const file = fileOf(options, dataDir);
  const read = (): Store =>
    fs.existsSync(file)
      ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Store)
      : { entities: {}, changes: [], applied: {}, nextKey: 1 };
  const save = (store: Store) => {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(store));
    fs.renameSync(`${file}.tmp`, file); // all or nothing
  };
  const listeners = new Set<(change: Change | undefined) => void>();
  log.info({ file }, 'json-file tracker ready');

  /** One write: read the file, change it, append the change, save; a key seen before changes nothing. */
  async function write(request: WriteRequest, opts: WriteContext): Promise<WriteOutcome> {
    const issues = fieldIssues(request);
    if (issues.length) return { outcome: 'rejected', message: 'The fields are not valid', issues };
    const store = read();
    // A create carrying the peer's record id looks for the record it made before.
    const corr =
      request.op === 'create' && opts.correlationId ? `correlation:${opts.correlationId}` : undefined;
    const seen = [opts.idempotencyKey, corr].flatMap((k) =>
      k && store.applied[k] ? [store.applied[k]] : [],
    )[0];
    if (seen !== undefined) return { outcome: 'replayed', entity: store.entities[seen] ?? null };
    const now = new Date().toISOString();
    let entity: Entity | undefined;
    if (request.op === 'create') {
      const id = randomUUID();
      entity = {
        id,
        key: `JSON-${store.nextKey++}`,
        type: request.type,
        fields: {
          summary: '',
          description: '',
          status: 'New',
          priority: 3,
          assignee: null,
          ...request.fields,
        },
        comments: [],
        version: 0,
        createdAt: now,
        updatedAt: now,
      };
    } else {
      entity = store.entities[request.id];
      if (!entity) return { outcome: 'not_found', message: `No entity ${request.id}` };
      if (request.expectedVersion !== undefined && request.expectedVersion !== entity.version)
        return { outcome: 'conflict', version: entity.version, message: 'The entity moved on' };
      if (request.op === 'update') entity.fields = { ...entity.fields, ...request.fields } as EntityFields;
      if (request.op === 'comment') {
        const { author, body, internal } = request.comment;
        entity.comments.push({ id: randomUUID(), author, body, internal, createdAt: now } satisfies Comment);
      }
    }
    entity.version++;
    entity.updatedAt = now;
    if (request.op === 'delete') delete store.entities[entity.id];
    else store.entities[entity.id] = entity;
    const { id, type, version } = entity;
    const change: Change = {
      entityId: id,
      entityType: type,
      op: request.op,
      version,
      origin: opts.origin,
      at: now,
    };
    store.changes.push(change);
    for (const k of [opts.idempotencyKey, corr]) if (k) store.applied[k] = id;
    save(store);
    for (const l of listeners) l(change);
    return { outcome: 'applied', entity: request.op === 'delete' ? null : entity };
  }

  return {
    id: 'json-file',
    entityTypes: ENTITY_TYPES,
    get: async (id) => read().entities[id],
    getMany: async (ids) => {
      const { entities } = read();
      return new Map(ids.flatMap((id) => (entities[id] ? [[id, entities[id]] as const] : [])));
    },
    list: async ({ type, q, limit, cursor }) => {
      const all = Object.values(read().entities)
        .filter((e) => (!type || e.type === type) && (!q || e.fields.summary.includes(q)))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
      const from = cursor ? Number(cursor) : 0;
      const items = all.slice(from, from + limit);
      return from + limit < all.length ? { items, nextCursor: String(from + limit) } : { items };
    },
    changes: async (cursor, limit) => {
      const { changes } = read();
      const from = cursor === null ? 0 : Number(cursor);
      const page = changes.slice(from, from + limit);
      return { changes: page, cursor: String(from + page.length), more: from + page.length < changes.length };
    },
    head: async () => String(read().changes.length),
    write,
    // The admin API's simple writes through the same write (a refusal thrown as the API's error).
    ...simpleWrites(write),
    // Optional capabilities: push wake-ups after our own writes, and a health check for GET /api/tracker.
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async health() {
      try {
        read();
        fs.accessSync(path.dirname(file), fs.constants.W_OK);
        return [{ name: 'JSON file readable and writable', ok: true, detail: file }];
      } catch (err) {
        return [
          { name: 'JSON file readable and writable', ok: false, detail: String(err), fix: `Check ${file}` },
        ];
      }
    },
  } satisfies Tracker & TrackerReport;
};
