// The ServiceNow tracker's writes: an idempotent create, field updates, journal entries and deletes, as typed outcomes.
import { randomUUID } from 'node:crypto';
import type { FieldIssue } from '../../errors.ts';
import type {
  Entity,
  EntityFields,
  EntityType,
  WriteContext,
  WriteOutcome,
  WriteRequest,
} from '../tracker.ts';
import type { ServiceNowClient, ServiceNowRecord } from './client.ts';
import type { ServiceNowConfig } from './config.ts';
import { ServiceNowError } from './errors.ts';
import { createIdempotently } from './idempotent-create.ts';
import type { Journal } from './journal.ts';
import type { EntityMapper } from './mapping.ts';
import { checkFields, issueOf } from './write-checks.ts';

export interface WriteDeps {
  config: ServiceNowConfig;
  /** The client whose creates and updates made side by side go as one Batch API request (batched-writes.ts). */
  writer: ServiceNowClient;
  mapper: EntityMapper;
  journal: Journal;
  /** The entity of a record id (one read). */
  readOne(id: string): Promise<Entity | undefined>;
  /** Entities of records just read or written, with their comments. */
  withComments(pairs: Array<[EntityType, ServiceNowRecord]>): Promise<Entity[]>;
  /** Learns which type a record id is (so a later read asks one table). */
  learn(id: string, type: EntityType): void;
}

const deletedMessage = (id: string) =>
  `The ServiceNow record ${id} was deleted in ServiceNow (or the integration user can no longer see it)`;

/**
 * @example const w = serviceNowWrites(deps); const r = await w.create({ op: 'create', type: 'incident', fields }, context);
 */
export function serviceNowWrites(deps: WriteDeps) {
  const { config, writer, mapper, journal } = deps;
  const types = config.entityTypes;
  const tableOf = (type: EntityType) => config.tables[type];

  /** The record fields of `fields`, each field's refusal an issue of its own. */
  async function mapped(
    type: EntityType,
    fields: Partial<EntityFields>,
    issues: FieldIssue[],
  ): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined || issues.some((i) => i.path === `fields.${name}`)) continue;
      try {
        Object.assign(out, await mapper.toRecord(type, { [name]: value }));
      } catch (err) {
        const issue = issueOf(err, name);
        if (!issue) throw err;
        issues.push(issue);
      }
    }
    return out;
  }

  async function create(
    request: Extract<WriteRequest, { op: 'create' }>,
    context: WriteContext,
  ): Promise<WriteOutcome> {
    if (!types.includes(request.type))
      return {
        outcome: 'rejected',
        message: `This ServiceNow tracker does not offer ${request.type} (entityTypes)`,
        issues: [{ path: 'type', message: `must be one of ${types.join(', ')}` }],
      };
    const issues = checkFields(request.fields, true);
    const record = await mapped(request.type, request.fields, issues);
    if (issues.length) return { outcome: 'rejected', message: 'The fields are not valid', issues };
    const table = tableOf(request.type);
    const read = mapper.readOptions(request.type);
    if (context.correlationId) {
      // A first try needs no look for an earlier one (a lost answer is still looked for before trying again).
      const r = await createIdempotently(writer, table, record, context.correlationId, {
        read,
        checkFirst: context.firstTry !== true,
      });
      const [entity] = await (r.outcome === 'replayed'
        ? deps.withComments([[request.type, r.record]])
        : Promise.resolve([mapper.toEntity(request.type, r.record)]));
      deps.learn(entity!.id, request.type);
      return { outcome: r.outcome, entity: entity! };
    }
    const entity = mapper.toEntity(request.type, await writer.create(table, record, read));
    deps.learn(entity.id, request.type);
    return { outcome: 'applied', entity };
  }

  /** An update, a journal entry or a delete of the record `current` (the entity the engine read, or one read now). */
  async function change(
    request: Exclude<WriteRequest, { op: 'create' }>,
    context: WriteContext,
  ): Promise<WriteOutcome> {
    const current = context.current?.id === request.id ? context.current : await deps.readOne(request.id);
    if (!current) return { outcome: 'not_found', message: deletedMessage(request.id) };
    if (request.expectedVersion !== undefined && request.expectedVersion !== current.version)
      return {
        outcome: 'conflict',
        version: current.version,
        message: `The ServiceNow record is at version ${current.version}, not ${request.expectedVersion}`,
      };
    const table = tableOf(current.type);
    const read = mapper.readOptions(current.type);
    try {
      if (request.op === 'delete') {
        await writer.remove(table, current.id);
        return { outcome: 'applied', entity: null };
      }
      if (request.op === 'update') {
        const issues = checkFields(request.fields, false);
        const record = await mapped(current.type, request.fields, issues);
        if (issues.length) return { outcome: 'rejected', message: 'The fields are not valid', issues };
        const written = await writer.update(table, current.id, record, read);
        return { outcome: 'applied', entity: mapper.toEntity(current.type, written, current.comments) };
      }
      const { body, author, internal } = request.comment;
      const key = context.idempotencyKey ?? `local:${randomUUID()}`;
      const r = await journal.write(
        table,
        current.id,
        { body, internal, key, author },
        { read, checkFirst: context.firstTry !== true && context.idempotencyKey !== undefined },
      );
      if (r.outcome === 'replayed' || !r.record)
        return { outcome: r.outcome, entity: (await deps.readOne(current.id)) ?? null };
      const [entity] = await deps.withComments([[current.type, r.record]]);
      return { outcome: 'applied', entity: entity! };
    } catch (err) {
      if (
        err instanceof ServiceNowError &&
        err.code === 'SERVICENOW_NOT_FOUND' &&
        err.message.includes(current.id)
      )
        return { outcome: 'not_found', message: deletedMessage(current.id) };
      throw err;
    }
  }

  return { create, change };
}
