// The ServiceNow connector's configuration: the `--tracker-config` JSON (tables, fields, polling) plus TANDEM_SERVICENOW_* secrets.
import { z } from 'zod';
import { TandemError } from '../../errors.ts';
import { ENTITY_TYPES, type EntityType } from '../tracker.ts';
import type { ServiceNowCredentials } from './auth.ts';
import { instanceBaseUrl } from './client.ts';

/** Where each shared entity field lives on a ServiceNow record. */
export interface FieldMap {
  summary: string;
  description: string;
  status: string;
  priority: string;
  assignee: string;
  /** The human key (`INC0010001`). */
  key: string;
  /** Journal field of public comments. */
  comments: string;
  /** Journal field of internal comments. */
  workNotes: string;
}

/**
 * The connector's settings, all defaults applied.
 * @example const c = parseServiceNowConfig({ tables: { incident: 'u_incident' } }, process.env); c.tables.incident // 'u_incident'
 */
export interface ServiceNowConfig {
  instanceUrl: string;
  credentials: ServiceNowCredentials;
  tables: Record<EntityType, string>;
  /** The field map of each entity type (the shared `fields` with that type's `typeFields` on top). */
  fields: Record<EntityType, FieldMap>;
  /** `u_*` fields read and written as they are (an entity's custom field of the same name). */
  customFields: readonly string[];
  pollMs: number;
  /** How far back each poll re-reads (ServiceNow stamps to the second and commits late). */
  overlapMs: number;
  /** The entity types offered; of these, only the tables of the types in use are polled (`Tracker.follow`). */
  entityTypes: readonly EntityType[];
}

type Env = Record<string, string | undefined>;

export const DEFAULT_TABLES: Record<EntityType, string> = {
  incident: 'incident',
  case: 'sn_customerservice_case',
  change: 'change_request',
  problem: 'problem',
  ci: 'cmdb_ci',
  request: 'sc_req_item',
  user: 'sys_user',
};

export const DEFAULT_FIELDS: FieldMap = {
  summary: 'short_description',
  description: 'description',
  status: 'state',
  priority: 'priority',
  assignee: 'assigned_to',
  key: 'number',
  comments: 'comments',
  workNotes: 'work_notes',
};

export const DEFAULT_POLL_MS = 15_000;
export const DEFAULT_OVERLAP_MS = 10_000;

const NAME = /^[a-z0-9_]+$/;
const NAME_ACCEPTS = 'a ServiceNow name (lower-case letters, digits and underscores)';
const CUSTOM = /^u_[a-z0-9_]+$/;
const FIELD_KEYS = Object.keys(DEFAULT_FIELDS) as (keyof FieldMap)[];
const TOP_KEYS = [
  'tables',
  'fields',
  'typeFields',
  'customFields',
  'pollMs',
  'overlapMs',
  'entityTypes',
] as const;
/** The task tables (they have correlation_id and the journals); `ci` and `user` are offered when listed. */
export const DEFAULT_ENTITY_TYPES: readonly EntityType[] = [
  'incident',
  'case',
  'change',
  'problem',
  'request',
];
/** Keys that would carry a secret: refused in the file, whatever their value. */
const SECRET_KEY = /pass|secret|token|credential|auth|client_?id|^user/i;

/** The stable error of a wrong option; it names the option and what it accepts, never a value. */
export function trackerConfigInvalid(option: string, accepts: string): TandemError {
  return new TandemError('TRACKER_CONFIG_INVALID', 400, `${option} must be ${accepts}`, { option, accepts });
}

function object(value: unknown, option: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw trackerConfigInvalid(option, 'a JSON object');
  return value as Record<string, unknown>;
}

function refuseUnknown(o: Record<string, unknown>, prefix: string, known: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const option = `${prefix}${k}`;
    if (SECRET_KEY.test(k))
      throw trackerConfigInvalid(option, 'absent: secrets come from TANDEM_SERVICENOW_* variables only');
    throw trackerConfigInvalid(option, `one of ${known.join(', ')}`);
  }
}

function name(value: unknown, option: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) throw trackerConfigInvalid(option, NAME_ACCEPTS);
  return value;
}

function fieldMap(value: unknown, option: string): Partial<FieldMap> {
  const o = object(value, option);
  refuseUnknown(o, `${option}.`, FIELD_KEYS);
  const out: Partial<FieldMap> = {};
  for (const k of FIELD_KEYS) if (o[k] !== undefined) out[k] = name(o[k], `${option}.${k}`);
  return out;
}

const millis = z.coerce.number().int().min(0).max(86_400_000);

function duration(value: unknown, option: string, min: number): number {
  const r = millis.safeParse(value);
  if (!r.success || r.data < min)
    throw trackerConfigInvalid(option, `an integer number of milliseconds from ${min} to 86400000`);
  return r.data;
}

function credentials(env: Env): ServiceNowCredentials {
  const get = (k: string) => (env[`TANDEM_SERVICENOW_${k}`] ?? '') || undefined;
  const user = get('USER');
  const password = get('PASSWORD');
  const clientId = get('CLIENT_ID');
  const clientSecret = get('CLIENT_SECRET');
  if (user && !password)
    throw trackerConfigInvalid('TANDEM_SERVICENOW_PASSWORD', 'set with TANDEM_SERVICENOW_USER');
  if (password && !user)
    throw trackerConfigInvalid('TANDEM_SERVICENOW_USER', 'set with TANDEM_SERVICENOW_PASSWORD');
  if (clientId && !clientSecret)
    throw trackerConfigInvalid('TANDEM_SERVICENOW_CLIENT_SECRET', 'set with TANDEM_SERVICENOW_CLIENT_ID');
  if (clientSecret && !clientId)
    throw trackerConfigInvalid('TANDEM_SERVICENOW_CLIENT_ID', 'set with TANDEM_SERVICENOW_CLIENT_SECRET');
  if (clientId && clientSecret) {
    return user && password
      ? { kind: 'oauth-password', clientId, clientSecret, user, password }
      : { kind: 'oauth-client-credentials', clientId, clientSecret };
  }
  if (user && password) return { kind: 'basic', user, password };
  throw trackerConfigInvalid(
    'TANDEM_SERVICENOW_USER',
    'set (with TANDEM_SERVICENOW_PASSWORD), or TANDEM_SERVICENOW_CLIENT_ID and TANDEM_SERVICENOW_CLIENT_SECRET',
  );
}

function instanceUrl(env: Env): string {
  const raw = env.TANDEM_SERVICENOW_URL;
  const accepts = 'the instance base URL (https://NAME.service-now.com), without user or password';
  if (!raw) throw trackerConfigInvalid('TANDEM_SERVICENOW_URL', accepts);
  try {
    return instanceBaseUrl(raw);
  } catch {
    throw trackerConfigInvalid('TANDEM_SERVICENOW_URL', accepts);
  }
}

/**
 * Parses the config file's JSON (absent: `undefined` or `{}`) and the environment; the first wrong option
 * throws TRACKER_CONFIG_INVALID naming it (`tables.incident`, `TANDEM_SERVICENOW_URL`).
 */
export function parseServiceNowConfig(json: unknown, env: Env): ServiceNowConfig {
  const file = json === undefined ? {} : object(json, '--tracker-config');
  refuseUnknown(file, '', TOP_KEYS);

  const tables = { ...DEFAULT_TABLES };
  if (file.tables !== undefined) {
    const t = object(file.tables, 'tables');
    refuseUnknown(t, 'tables.', ENTITY_TYPES);
    for (const type of ENTITY_TYPES)
      if (t[type] !== undefined) tables[type] = name(t[type], `tables.${type}`);
  }

  const shared = { ...DEFAULT_FIELDS, ...(file.fields === undefined ? {} : fieldMap(file.fields, 'fields')) };
  const perType = file.typeFields === undefined ? {} : object(file.typeFields, 'typeFields');
  refuseUnknown(perType, 'typeFields.', ENTITY_TYPES);
  const fields = Object.fromEntries(
    ENTITY_TYPES.map((type) => [
      type,
      {
        ...shared,
        ...(perType[type] === undefined ? {} : fieldMap(perType[type], `typeFields.${type}`)),
      },
    ]),
  ) as Record<EntityType, FieldMap>;

  let customFields: string[] = [];
  if (file.customFields !== undefined) {
    const list = file.customFields;
    if (!Array.isArray(list)) throw trackerConfigInvalid('customFields', 'a list of u_* field names');
    customFields = list.map((f, i) => {
      if (typeof f !== 'string' || !CUSTOM.test(f))
        throw trackerConfigInvalid(`customFields[${i}]`, 'a custom field name (u_ then letters, digits, _)');
      return f;
    });
  }

  const envPoll = env.TANDEM_SERVICENOW_POLL_MS;
  const pollMs = envPoll
    ? duration(envPoll, 'TANDEM_SERVICENOW_POLL_MS', 1000)
    : file.pollMs === undefined
      ? DEFAULT_POLL_MS
      : duration(file.pollMs, 'pollMs', 1000);
  const overlapMs =
    file.overlapMs === undefined ? DEFAULT_OVERLAP_MS : duration(file.overlapMs, 'overlapMs', 0);

  let entityTypes = DEFAULT_ENTITY_TYPES;
  if (file.entityTypes !== undefined) {
    const list = file.entityTypes;
    const accepts = `a non-empty list of ${ENTITY_TYPES.join(', ')}`;
    if (!Array.isArray(list) || list.length === 0) throw trackerConfigInvalid('entityTypes', accepts);
    entityTypes = list.map((t, i) => {
      if (typeof t !== 'string' || !(ENTITY_TYPES as readonly string[]).includes(t))
        throw trackerConfigInvalid(`entityTypes[${i}]`, `one of ${ENTITY_TYPES.join(', ')}`);
      return t as EntityType;
    });
    entityTypes = [...new Set(entityTypes)];
  }

  return {
    instanceUrl: instanceUrl(env),
    credentials: credentials(env),
    tables,
    fields,
    customFields: [...new Set(customFields)],
    pollMs,
    overlapMs,
    entityTypes,
  };
}

/** Parses the config file's text; JSON that does not parse names `--tracker-config`. */
export function readServiceNowConfig(text: string | undefined, env: Env): ServiceNowConfig {
  if (text === undefined || text.trim() === '') return parseServiceNowConfig(undefined, env);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw trackerConfigInvalid('--tracker-config', 'a JSON file');
  }
  return parseServiceNowConfig(json, env);
}
