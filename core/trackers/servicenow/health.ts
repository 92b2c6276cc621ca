// The connector's health checks as values: credentials set, instance reachable, credentials valid, tables readable and writable.
import type { ServiceNowClient, ServiceNowRecord } from './client.ts';
import { CREDENTIALS_MISSING_FIX, ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';

/** One check as `GET /api/tracker` lists it. */
export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

type Probe = { ok: true; record: ServiceNowRecord | null } | { ok: false; error: ServiceNowError };

/** An id no record has: a write to it is refused by an ACL (403) before it is found missing (404). */
const NO_RECORD = '0'.repeat(32);

function asServiceNowError(err: unknown): ServiceNowError {
  if (err instanceof ServiceNowError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ServiceNowError('SERVICENOW_BAD_RESPONSE', `Unexpected failure: ${message.slice(0, 200)}`);
}

async function probe<T>(
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: ServiceNowError }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return { ok: false, error: asServiceNowError(err) };
  }
}

const failed = (name: string, e: ServiceNowError): HealthCheck =>
  e.details.fix
    ? { name, ok: false, detail: e.message, fix: e.details.fix }
    : { name, ok: false, detail: e.message };

/** Whether the instance answered at all (a 5xx it kept sending counts as an answer from something down). */
const unreachable = (e: ServiceNowError) =>
  e.code === 'SERVICENOW_UNAVAILABLE' && e.details.upstreamStatus === undefined;

/**
 * Runs the checks; never throws. Without credentials only "Credentials configured" fails (`issue`: why, when
 * some are set). Writability is tried with an empty PATCH of one record (no field changes, so
 * nothing is stamped), or of a record id that does not exist when the table is empty.
 * @example const checks = await checkServiceNowHealth(client, ['incident', 'sys_user']); checks.every((c) => c.ok)
 */
export async function checkServiceNowHealth(
  client: ServiceNowClient,
  tables: readonly string[],
  issue?: string,
): Promise<HealthCheck[]> {
  if (!client.hasCredentials())
    return [
      {
        name: 'Credentials configured',
        ok: false,
        detail: issue
          ? `The ServiceNow credentials are incomplete: ${issue}`
          : 'No ServiceNow credentials are set, so nothing can be read or written',
        fix: CREDENTIALS_MISSING_FIX,
      },
    ];
  const list = tables.length > 0 ? [...new Set(tables)] : ['sys_user'];
  const reads = await Promise.all(
    list.map(async (table): Promise<Probe> => {
      const r = await probe(() => client.list(table, { limit: 1, fields: ['sys_id'] }));
      return r.ok ? { ok: true, record: r.value.records[0] ?? null } : r;
    }),
  );
  const errors = reads.flatMap((r) => (r.ok ? [] : [r.error]));
  const checks: HealthCheck[] = [];

  const down = errors.length === reads.length ? errors.find(unreachable) : undefined;
  if (down) {
    checks.push(failed('ServiceNow reachable', down));
    checks.push({
      name: 'Credentials valid',
      ok: false,
      detail: 'Not checked: ServiceNow could not be reached',
    });
    return checks;
  }
  checks.push({
    name: 'ServiceNow reachable',
    ok: true,
    detail: `ServiceNow at ${client.instanceUrl} answered`,
  });
  const denied = errors.find((e) => e.code === 'SERVICENOW_UNAUTHORIZED');
  if (denied) {
    checks.push(failed('Credentials valid', denied));
    return checks;
  }
  checks.push({ name: 'Credentials valid', ok: true, detail: 'ServiceNow accepted the credentials' });

  const writes = await Promise.all(
    list.map(async (table, i): Promise<HealthCheck> => {
      const name = `Tables writable (${table})`;
      const read = reads[i]!;
      if (!read.ok) return { name, ok: false, detail: `Not checked: ${table} cannot be read` };
      const sysId = read.record ? storedValue(read.record.sys_id) : NO_RECORD;
      const w = await probe(() => client.update(table, sysId, {}, { fields: ['sys_id'] }));
      if (w.ok) return { name, ok: true, detail: `The integration user may write ${table}` };
      if (w.error.code === 'SERVICENOW_NOT_FOUND' && !read.record)
        return {
          name,
          ok: true,
          detail: `The integration user may write ${table} (tried with no record: the table is empty)`,
        };
      return failed(name, w.error);
    }),
  );
  list.forEach((table, i) => {
    const read = reads[i]!;
    const name = `Tables readable (${table})`;
    checks.push(
      read.ok
        ? { name, ok: true, detail: `The integration user may read ${table}` }
        : failed(name, read.error),
    );
  });
  checks.push(...writes);
  return checks;
}
