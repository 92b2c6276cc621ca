// Between a tracker's typed write outcomes and the admin API's errors, both ways.
import { type FieldIssue, notFound, TandemError, validationFailed } from '../errors.ts';
import type { Entity, Tracker, WriteOptions, WriteOutcome, WriteRequest } from './tracker.ts';

/** A write refused because the entity is at another version (the problem body stays the plain 409). */
export class VersionConflict extends TandemError {
  constructor(
    message: string,
    readonly version: number,
  ) {
    super('VERSION_CONFLICT', 409, message);
  }
}

/** The outcome an expected refusal stands for (404, 409, 422, 503); anything else is thrown on. */
export function outcomeOfError(err: unknown): WriteOutcome {
  if (err instanceof TandemError) {
    if (err.code === 'NOT_FOUND') return { outcome: 'not_found', message: err.message };
    if (err.code === 'VERSION_CONFLICT') {
      const version = err instanceof VersionConflict ? err.version : Number.NaN;
      return { outcome: 'conflict', version, message: err.message };
    }
    if (err.code === 'VALIDATION_FAILED') {
      const issues = (err.extra?.errors as FieldIssue[] | undefined) ?? [];
      return { outcome: 'rejected', message: err.message, issues };
    }
    if (err.status === 503) {
      const retryAfterMs = Number(err.extra?.retryAfterMs ?? 1000);
      return { outcome: 'unavailable', message: err.message, retryAfterMs };
    }
  }
  throw err;
}

/** The error the admin API answers for a refused write. */
export function errorOfOutcome(outcome: Exclude<WriteOutcome, { outcome: 'applied' | 'replayed' }>) {
  switch (outcome.outcome) {
    case 'not_found':
      return new TandemError('NOT_FOUND', 404, outcome.message);
    case 'conflict':
      return new VersionConflict(outcome.message, outcome.version);
    case 'rejected':
      return validationFailed(outcome.issues, outcome.message);
    case 'unavailable':
      return new TandemError('TRACKER_UNAVAILABLE', 503, outcome.message, {
        retryAfterMs: outcome.retryAfterMs,
      });
  }
}

type Write = (request: WriteRequest, opts: WriteOptions) => Promise<WriteOutcome>;

async function written(write: Write, request: WriteRequest, opts: WriteOptions): Promise<Entity | null> {
  const r = await write(request, opts);
  if (r.outcome === 'applied' || r.outcome === 'replayed') return r.entity;
  throw errorOfOutcome(r);
}

function mustEntity(e: Entity | null, id: string): Entity {
  if (!e) throw notFound('Entity', id);
  return e;
}

/**
 * The admin API's simple writes over `write`, for a tracker that implements only that.
 * @example return { ...simpleWrites((r, o) => write(r, o)), write, ... } satisfies Tracker;
 */
export function simpleWrites(write: Write): Pick<Tracker, 'create' | 'update' | 'delete' | 'addComment'> {
  return {
    async create(input, opts) {
      return mustEntity(await written(write, { op: 'create', ...input }, opts), 'new');
    },
    async update(id, fields, opts) {
      const req: WriteRequest = { op: 'update', id, fields };
      if (opts.expectedVersion !== undefined) req.expectedVersion = opts.expectedVersion;
      return mustEntity(await written(write, req, opts), id);
    },
    async delete(id, opts) {
      const req: WriteRequest = { op: 'delete', id };
      if (opts.expectedVersion !== undefined) req.expectedVersion = opts.expectedVersion;
      await written(write, req, opts);
    },
    async addComment(id, comment, opts) {
      const req: WriteRequest = { op: 'comment', id, comment };
      if (opts.expectedVersion !== undefined) req.expectedVersion = opts.expectedVersion;
      return mustEntity(await written(write, req, opts), id);
    },
  };
}
