// Idempotency keys of the connector's writes, in the host database: a write replayed after a restart is not sent again.

import { INSERT_CHUNK, inChunks } from '../../../storage/chunks.ts';
import type { Db } from '../../../storage/schema.ts';
import { gathered, mergedLookups } from './coalesce.ts';

/** How long a key is kept: a replay comes from an apply journal row left pending by a crash or an outage. */
export const KEYS_KEPT_MS = 7 * 24 * 3600_000;
/** How often old keys are pruned at most (on a write). */
const PRUNE_EVERY_MS = 3600_000;
/** Keys kept without a database (a tracker built outside a host). */
const KEYS_IN_MEMORY = 10_000;

export interface WriteKeys {
  /** The sys_id the write with this key touched, if it was made. */
  get(key: string): Promise<string | undefined>;
  /** Records a write made (or found made); resolves once it is stored. */
  set(key: string, sysId: string): Promise<void>;
}

/**
 * Keys in `servicenow_write_keys` (migration 0011), looked up and stored a batch at a time (writes made side by
 * side cost one statement each way); older than KEYS_KEPT_MS they are pruned. Without `db`, the newest
 * KEYS_IN_MEMORY in memory (lost on restart).
 * @example const keys = createWriteKeys(db, Date.now); if (await keys.get('c1:42')) return replayed;
 */
export function createWriteKeys(db: Db | undefined, now: () => number): WriteKeys {
  if (!db) return memoryKeys();
  let prunedAt = Number.NEGATIVE_INFINITY;
  const lookup = mergedLookups(async (keys) => {
    const rows = await inChunks(keys, (chunk) =>
      db.selectFrom('servicenow_write_keys').select(['key', 'sys_id']).where('key', 'in', chunk).execute(),
    );
    return new Map(rows.map((r) => [r.key, r.sys_id]));
  });
  const store = gathered(
    (row: { key: string; sys_id: string; created_at: string }) => insert([row]).then(() => undefined),
    async (rows) => {
      await insert(rows);
      return rows.map(() => ({ ok: true as const, value: undefined }));
    },
    INSERT_CHUNK,
  );
  async function insert(rows: Array<{ key: string; sys_id: string; created_at: string }>) {
    await db!
      .insertInto('servicenow_write_keys')
      .values(rows)
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  return {
    get: async (key) => (await lookup([key])).get(key),
    async set(key, sysId) {
      const at = now();
      await store({ key, sys_id: sysId, created_at: new Date(at).toISOString() });
      if (at - prunedAt < PRUNE_EVERY_MS) return;
      prunedAt = at;
      await db
        .deleteFrom('servicenow_write_keys')
        .where('created_at', '<', new Date(at - KEYS_KEPT_MS).toISOString())
        .execute();
    },
  };
}

function memoryKeys(): WriteKeys {
  const m = new Map<string, string>();
  return {
    get: async (key) => m.get(key),
    async set(key, sysId) {
      m.delete(key);
      m.set(key, sysId);
      if (m.size > KEYS_IN_MEMORY) m.delete(m.keys().next().value!);
    },
  };
}
