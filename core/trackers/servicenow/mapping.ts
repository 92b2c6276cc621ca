// ServiceNow record <-> the entity every tracker shares: fields as mapped, state by label, assignee by email/user name.
import { z } from 'zod';
import type { Comment, Entity, EntityFields, EntityType, FieldChoice } from '../tracker.ts';
import { type ChoiceLists, createChoiceLists, storedChoice } from './choices.ts';
import type { ReadOptions, ServiceNowClient, ServiceNowRecord } from './client.ts';
import type { FieldMap, ServiceNowConfig } from './config.ts';
import { ServiceNowError } from './errors.ts';
import { displayValue, storedValue } from './schemas.ts';
import { parseServiceNowTime } from './time.ts';
import { createUserDirectory, type UserDirectory } from './users.ts';

export interface EntityMapperOptions {
  client: ServiceNowClient;
  config: Pick<ServiceNowConfig, 'tables' | 'fields' | 'customFields'>;
  choices?: ChoiceLists;
  users?: UserDirectory;
  now?: () => number;
}

/** Where a priority cannot be read (a table without one, or an odd value): the middle of 1-5. */
export const DEFAULT_PRIORITY = 3;

const SN_TIME = z.string().refine((t) => parseServiceNowTime(t) !== null, 'a ServiceNow timestamp');
const systemSchema = z.object({
  sys_id: z.string().regex(/^[0-9a-f]{32}$/),
  sys_mod_count: z.string().regex(/^\d+$/),
  sys_created_on: SN_TIME,
  sys_updated_on: SN_TIME,
});

const iso = (snTime: string) => new Date(parseServiceNowTime(snTime)!).toISOString();
const CUSTOM = /^u_[a-z0-9_]+$/;

function rejected(table: string, message: string): ServiceNowError {
  return new ServiceNowError('SERVICENOW_REJECTED', message, { table, operation: 'write' });
}

function customText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * @example const m = createEntityMapper({ client, config });
 * const rec = await client.get('incident', id, m.readOptions('incident')); m.toEntity('incident', rec!)
 * await client.update('incident', id, await m.toRecord('incident', { status: 'In Progress', assignee: 'ann@example.com' }))
 */
export function createEntityMapper(o: EntityMapperOptions) {
  const choices = o.choices ?? createChoiceLists(o.client, { now: o.now });
  const users = o.users ?? createUserDirectory(o.client, { now: o.now });
  const map = (type: EntityType): FieldMap => o.config.fields[type];
  const tableOf = (type: EntityType) => o.config.tables[type];

  /** The `sysparm_fields` of a read: mapped fields, the assignee's email and user name, system stamps. */
  function readFields(type: EntityType): string[] {
    const f = map(type);
    return [
      ...new Set([
        'sys_id',
        f.key,
        f.summary,
        f.description,
        f.status,
        f.priority,
        f.assignee,
        `${f.assignee}.email`,
        `${f.assignee}.user_name`,
        'sys_mod_count',
        'sys_created_on',
        'sys_updated_on',
        ...o.config.customFields,
      ]),
    ];
  }

  function toEntity(type: EntityType, record: ServiceNowRecord, comments: Comment[] = []): Entity {
    const f = map(type);
    const stored = (name: string) => storedValue(record[name]);
    const sys = systemSchema.safeParse({
      sys_id: stored('sys_id'),
      sys_mod_count: stored('sys_mod_count'),
      sys_created_on: stored('sys_created_on'),
      sys_updated_on: stored('sys_updated_on'),
    });
    if (!sys.success) {
      const at = sys.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new ServiceNowError(
        'SERVICENOW_BAD_RESPONSE',
        `ServiceNow sent a ${tableOf(type)} record without ${at}`,
        {
          table: tableOf(type),
          operation: 'read',
        },
      );
    }
    const priority = Number(stored(f.priority));
    const assignee =
      stored(f.assignee) === ''
        ? null
        : stored(`${f.assignee}.email`) ||
          stored(`${f.assignee}.user_name`) ||
          displayValue(record[f.assignee]) ||
          null;
    const fields: EntityFields = {
      summary: stored(f.summary),
      description: stored(f.description),
      status: displayValue(record[f.status]),
      priority: Number.isInteger(priority) && priority >= 1 && priority <= 5 ? priority : DEFAULT_PRIORITY,
      assignee,
    };
    for (const name of o.config.customFields) if (name in record) fields[name] = stored(name);
    return {
      id: sys.data.sys_id,
      key: stored(f.key) || sys.data.sys_id,
      type,
      fields,
      comments,
      version: Number(sys.data.sys_mod_count),
      createdAt: iso(sys.data.sys_created_on),
      updatedAt: iso(sys.data.sys_updated_on),
    };
  }

  async function translate(
    type: EntityType,
    input: Partial<EntityFields>,
    sysIds: Map<string, string>,
  ): Promise<Record<string, string>> {
    const f = map(type);
    const table = tableOf(type);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (name === 'summary' || name === 'description') {
        if (typeof value !== 'string') throw rejected(table, `${name} must be text`);
        out[f[name]] = value;
      } else if (name === 'priority') {
        if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 5)
          throw rejected(table, 'priority must be an integer 1-5');
        out[f.priority] = String(value);
      } else if (name === 'status') {
        if (typeof value !== 'string') throw rejected(table, 'status must be text');
        const list = await choices.get(table, f.status);
        const v = storedChoice(list, value);
        if (v === undefined) {
          const labels = list.map((c) => c.label).join(', ');
          throw rejected(table, `${table} has no ${f.status} "${value.slice(0, 60)}" (it has ${labels})`);
        }
        out[f.status] = v;
      } else if (name === 'assignee') {
        if (value === null || value === '') out[f.assignee] = '';
        else if (typeof value !== 'string')
          throw rejected(table, 'assignee must be an email, a user name or null');
        else {
          const sysId = sysIds.get(value);
          if (!sysId)
            throw rejected(table, `No ServiceNow user has the email or user name "${value.slice(0, 80)}"`);
          out[f.assignee] = sysId;
        }
      } else if (CUSTOM.test(name)) out[name] = customText(value);
      else
        throw rejected(
          table,
          `${name} is not a field the ServiceNow connector maps (custom fields start with u_)`,
        );
    }
    return out;
  }

  const assignees = (list: readonly Partial<EntityFields>[]) =>
    list.flatMap((i) => (typeof i.assignee === 'string' && i.assignee !== '' ? [i.assignee] : []));

  /**
   * The values status and priority may take on a type's table, as entities hold them: the state's labels (what a
   * write accepts), and priorities 1-5 with their labels. A list that cannot be read is left out.
   */
  async function fieldChoices(
    type: EntityType,
  ): Promise<{ status?: FieldChoice[]; priority?: FieldChoice[] }> {
    const f = map(type);
    const table = tableOf(type);
    const [states, priorities] = await Promise.all([
      choices.get(table, f.status).catch(() => undefined),
      choices.get(table, f.priority).catch(() => undefined),
    ]);
    const labels = new Map(priorities?.map((c) => [c.value, c.label]));
    return {
      ...(states?.length ? { status: states.map((c) => ({ value: c.label, label: c.label })) } : {}),
      ...(priorities
        ? { priority: [1, 2, 3, 4, 5].map((n) => ({ value: n, label: labels.get(String(n)) ?? String(n) })) }
        : {}),
    };
  }

  return {
    readFields,
    fieldChoices,
    /** Read options for `client.get` / `list` / the change feed: the mapped fields, stored and display values. */
    readOptions: (type: EntityType): ReadOptions => ({ fields: readFields(type), displayValue: 'all' }),
    toEntity,
    /** Record fields for a create or update; labels become stored values, assignees sys_ids. */
    async toRecord(type: EntityType, input: Partial<EntityFields>): Promise<Record<string, string>> {
      return translate(type, input, await users.resolve(assignees([input])));
    },
    /** The same for a batch: one sys_user query for all their assignees. */
    async toRecords(
      type: EntityType,
      inputs: readonly Partial<EntityFields>[],
    ): Promise<Record<string, string>[]> {
      const sysIds = await users.resolve(assignees(inputs));
      return Promise.all(inputs.map((i) => translate(type, i, sysIds)));
    },
  };
}

export type EntityMapper = ReturnType<typeof createEntityMapper>;
