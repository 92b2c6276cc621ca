// A table's choice lists (`state`, `priority`: stored value <-> label): read from sys_choice, cached, else a built-in default.
import { TandemError } from '../../errors.ts';
import type { ServiceNowClient } from './client.ts';
import { encodedQuery } from './encoded-query.ts';
import { ServiceNowError } from './errors.ts';
import { storedValue } from './schemas.ts';

export interface Choice {
  value: string;
  label: string;
}

/** ServiceNow's out-of-the-box `state` choices, for an instance whose sys_choice the integration user cannot read. */
export const DEFAULT_STATE_CHOICES: Record<string, readonly Choice[]> = {
  incident: choices({ 1: 'New', 2: 'In Progress', 3: 'On Hold', 6: 'Resolved', 7: 'Closed', 8: 'Canceled' }),
  sn_customerservice_case: choices({
    1: 'New',
    10: 'Open',
    18: 'Awaiting Info',
    6: 'Resolved',
    3: 'Closed',
    7: 'Cancelled',
  }),
  change_request: choices({
    '-5': 'New',
    '-4': 'Assess',
    '-3': 'Authorize',
    '-2': 'Scheduled',
    '-1': 'Implement',
    0: 'Review',
    3: 'Closed',
    4: 'Canceled',
  }),
  problem: choices({
    101: 'New',
    102: 'Assess',
    103: 'Root Cause Analysis',
    104: 'Fix in Progress',
    106: 'Resolved',
    107: 'Closed',
  }),
  sc_req_item: choices({
    '-5': 'Pending',
    1: 'Open',
    2: 'Work in Progress',
    3: 'Closed Complete',
    4: 'Closed Incomplete',
    7: 'Closed Skipped',
  }),
};

/** ServiceNow's out-of-the-box `priority` choices (every task table has the same). */
export const DEFAULT_PRIORITY_CHOICES: readonly Choice[] = choices({
  1: '1 - Critical',
  2: '2 - High',
  3: '3 - Moderate',
  4: '4 - Low',
  5: '5 - Planning',
});

function choices(o: Record<string, string>): Choice[] {
  return Object.entries(o).map(([value, label]) => ({ value, label }));
}

/** The stored value for a label (any case) or a stored value; undefined when it is neither. */
export function storedChoice(list: readonly Choice[], given: string): string | undefined {
  // `in_progress` and `in-progress` (another tracker's status) read as the label `In Progress`.
  const plain = (text: string) =>
    text
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ' ');
  const wanted = plain(given);
  return (
    list.find((c) => plain(c.label) === wanted)?.value ?? list.find((c) => c.value === given.trim())?.value
  );
}

export interface ChoiceListOptions {
  now?: () => number;
  /** How long a table's list is kept (default 10 minutes). */
  ttlMs?: number;
}

/**
 * @example const lists = createChoiceLists(client); storedChoice(await lists.get('incident', 'state'), 'In Progress') // '2'
 */
export function createChoiceLists(client: ServiceNowClient, o: ChoiceListOptions = {}) {
  const now = o.now ?? Date.now;
  const ttl = o.ttlMs ?? 600_000;
  const cache = new Map<string, { at: number; list: Promise<readonly Choice[]> }>();

  async function load(table: string, element: string): Promise<readonly Choice[]> {
    const query = encodedQuery()
      .where('name', '=', table)
      .where('element', '=', element)
      .where('inactive', '=', 'false')
      .orderBy('sequence');
    try {
      const rows = await client.listAll('sys_choice', { query, fields: ['value', 'label', 'language'] });
      const list = rows
        .filter((r) => ['', 'en'].includes(storedValue(r.language)))
        .map((r) => ({ value: storedValue(r.value), label: storedValue(r.label) }))
        .filter((c) => c.label !== '');
      if (list.length > 0) return list;
    } catch (err) {
      // No read access to sys_choice is common for integration users: the built-in list stands in.
      const denied =
        err instanceof ServiceNowError && ['SERVICENOW_FORBIDDEN', 'SERVICENOW_NOT_FOUND'].includes(err.code);
      if (!denied) throw err;
    }
    const fallback =
      element === 'state'
        ? DEFAULT_STATE_CHOICES[table]
        : element === 'priority'
          ? DEFAULT_PRIORITY_CHOICES
          : undefined;
    if (!fallback)
      throw new TandemError('SERVICENOW_CHOICES_UNKNOWN', 502, `No choice list for ${table}.${element}`);
    return fallback;
  }

  return {
    /** The active choices of `table.element`, oldest cache entry refreshed after the TTL. */
    get(table: string, element: string): Promise<readonly Choice[]> {
      const key = `${table}.${element}`;
      const hit = cache.get(key);
      if (hit && now() - hit.at < ttl) return hit.list;
      const list = load(table, element);
      cache.set(key, { at: now(), list });
      list.catch(() => cache.delete(key));
      return list;
    },
  };
}

export type ChoiceLists = ReturnType<typeof createChoiceLists>;
