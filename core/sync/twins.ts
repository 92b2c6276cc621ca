// Twins: which local entity is which remote entity on a connection, with what was last sent and applied.
import type { Selectable } from 'kysely';
import { inChunks } from '../../storage/chunks.ts';
import { columnsOf, perShape, prepared } from '../../storage/prepared.ts';
import type { DbExecutor } from '../../storage/schema.ts';
import type { SyncTwinTable } from '../../storage/sync-tables.ts';

export type TwinRow = Selectable<SyncTwinTable>;

const selectByLocal = prepared((db, connectionId: string, localId: string) =>
  db
    .selectFrom('sync_twins')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('local_id', '=', localId),
);
const selectByRemote = prepared((db, connectionId: string, remoteId: string) =>
  db
    .selectFrom('sync_twins')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('remote_id', '=', remoteId)
    .limit(1),
);

export async function twinByLocal(
  db: DbExecutor,
  connectionId: string,
  localId: string,
): Promise<TwinRow | undefined> {
  return (await selectByLocal(db, connectionId, localId))[0];
}

export async function twinByRemote(
  db: DbExecutor,
  connectionId: string,
  remoteId: string,
): Promise<TwinRow | undefined> {
  return (await selectByRemote(db, connectionId, remoteId))[0];
}

export async function twinsByLocal(
  db: DbExecutor,
  connectionId: string,
  localIds: string[],
): Promise<Map<string, TwinRow>> {
  const rows = await inChunks(localIds, (chunk) =>
    db
      .selectFrom('sync_twins')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('local_id', 'in', chunk)
      .execute(),
  );
  return new Map(rows.map((r) => [r.local_id, r]));
}

/** Which of `localIds` have a twin on the connection (reads the index only). */
export async function twinnedIds(
  db: DbExecutor,
  connectionId: string,
  localIds: string[],
): Promise<Set<string>> {
  const rows = await inChunks(localIds, (chunk) =>
    db
      .selectFrom('sync_twins')
      .select('local_id')
      .where('connection_id', '=', connectionId)
      .where('local_id', 'in', chunk)
      .execute(),
  );
  return new Set(rows.map((r) => r.local_id));
}

/**
 * For each of `localIds` that has a twin, the connections it is twinned on (index `sync_twins_local`): one
 * read for a page of the change feed, whatever the number of connections.
 */
export async function twinConnections(db: DbExecutor, localIds: string[]): Promise<Map<string, Set<string>>> {
  const rows = await inChunks(localIds, (chunk) =>
    db
      .selectFrom('sync_twins')
      .select(['local_id', 'connection_id'])
      .where('local_id', 'in', chunk)
      .execute(),
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.local_id) ?? new Set<string>();
    set.add(r.connection_id);
    out.set(r.local_id, set);
  }
  return out;
}

/** Twins by the peer's entity id (an event names its entity by the sender's id); the first one if several. */
export async function twinsByRemote(
  db: DbExecutor,
  connectionId: string,
  remoteIds: string[],
): Promise<Map<string, TwinRow>> {
  const rows = await inChunks(remoteIds, (chunk) =>
    db
      .selectFrom('sync_twins')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('remote_id', 'in', chunk)
      .execute(),
  );
  const out = new Map<string, TwinRow>();
  for (const r of rows) if (r.remote_id && !out.has(r.remote_id)) out.set(r.remote_id, r);
  return out;
}

type TwinSet = Partial<Omit<TwinRow, 'connection_id' | 'local_id' | 'created_at'>>;

/** A new twin's columns before its first save sets some of them. */
const TWIN_DEFAULTS = {
  remote_id: null,
  remote_key: null,
  manual: 0,
  status: 'pending',
  local_replica: null,
  sent_clocks: '{}',
  remote_replica: null,
  field_clocks: '{}',
  snapshot: null,
  last_synced_at: null,
} as const;

/** Inserts or updates the twin of `localId` on a connection (one statement: an upsert on the key). */
export async function saveTwin(
  db: DbExecutor,
  connectionId: string,
  localId: string,
  set: TwinSet,
): Promise<void> {
  await saveTwins(db, connectionId, [{ localId, set }]);
}

/** Twin writes of one batch, saved together by `saveTwins`. */
export interface TwinSave {
  localId: string;
  set: TwinSet;
}

const TWIN_ROWS_PER_STATEMENT = 100;
/** Prepared upserts by set of columns written and row count (a handful exist). */
const upsertOf = perShape(
  ({ keys, rows }: { keys: (keyof TwinSet)[]; rows: number }) => upsertRows(keys, rows),
  ({ keys, rows }) => `${keys.join(',')}|${rows}`,
);

function upsertRows(keys: (keyof TwinSet)[], rows: number) {
  const width = 3 + keys.length;
  return prepared((db, ...args: unknown[]) => {
    const values = [];
    for (let r = 0; r < rows; r++) {
      const a = args.slice(r * width, (r + 1) * width);
      values.push({
        ...TWIN_DEFAULTS,
        connection_id: a[0] as string,
        local_id: a[1] as string,
        created_at: a[2] as string,
        ...Object.fromEntries(keys.map((k, i) => [k, a[3 + i]])),
      });
    }
    const q = db.insertInto('sync_twins').values(values);
    if (keys.length === 0) return q.onConflict((oc) => oc.doNothing());
    return q.onConflict((oc) =>
      oc
        .columns(['connection_id', 'local_id'])
        .doUpdateSet((eb) => Object.fromEntries(keys.map((k) => [k, eb.ref(`excluded.${k}`)]))),
    );
  });
}

/** Saves many twins in a few statements (one per set of columns written and hundred rows); last write of a twin wins. */
export async function saveTwins(db: DbExecutor, connectionId: string, saves: TwinSave[]): Promise<void> {
  const now = new Date().toISOString();
  // One row per twin (a later save of the same twin merges over an earlier one), grouped by columns.
  const merged = new Map<string, TwinSet>();
  for (const { localId, set } of saves) merged.set(localId, { ...merged.get(localId), ...set });
  const groups = new Map<string, { keys: (keyof TwinSet)[]; rows: unknown[][] }>();
  for (const [localId, set] of merged) {
    const keys = columnsOf(set);
    const group = groups.get(keys.join(',')) ?? { keys, rows: [] };
    group.rows.push([connectionId, localId, now, ...keys.map((k) => set[k])]);
    groups.set(keys.join(','), group);
  }
  for (const { keys, rows } of groups.values()) {
    for (let i = 0; i < rows.length; i += TWIN_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + TWIN_ROWS_PER_STATEMENT);
      await upsertOf({ keys, rows: chunk.length })(db, ...chunk.flat());
    }
  }
}

/**
 * The twin writes of one transaction, kept in order and written together when flushed: runs of
 * saves become multi-row upserts, a delete goes in its place between them.
 * @example const twins = twinWriter(connectionId); twins.save(id, { status: 'synced' }); await twins.flush(tx);
 */
export function twinWriter(connectionId: string) {
  let ops: Array<TwinSave | { localId: string; delete: true }> = [];
  return {
    save(localId: string, set: TwinSet) {
      ops.push({ localId, set });
    },
    delete(localId: string) {
      ops.push({ localId, delete: true });
    },
    async flush(db: DbExecutor) {
      const pending = ops;
      ops = [];
      let saves: TwinSave[] = [];
      for (const op of pending) {
        if ('set' in op) {
          saves.push(op);
          continue;
        }
        await saveTwins(db, connectionId, saves);
        saves = [];
        await deleteTwin(db, connectionId, op.localId);
      }
      await saveTwins(db, connectionId, saves);
    },
  };
}

export type TwinWriter = ReturnType<typeof twinWriter>;

export async function deleteTwin(db: DbExecutor, connectionId: string, localId: string): Promise<void> {
  await db
    .deleteFrom('sync_twins')
    .where('connection_id', '=', connectionId)
    .where('local_id', '=', localId)
    .execute();
}

export async function twinsOfEntity(db: DbExecutor, localId: string): Promise<TwinRow[]> {
  return db
    .selectFrom('sync_twins')
    .selectAll()
    .where('local_id', '=', localId)
    .orderBy('created_at')
    .execute();
}
