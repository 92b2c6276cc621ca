// Links between items: the ids rules may translate through the twins, and events waiting for a referenced item.
import { inChunks } from '../../../storage/chunks.ts';
import type { Db, DbExecutor } from '../../../storage/schema.ts';
import { fenceWrite, holdsHere, LeaseLost } from '../../cluster/fence.ts';
import type { TwinTable } from '../../sandbox/sandbox.ts';
import { logIncoming } from '../event-log.ts';
import { recordError } from '../sync-errors.ts';

/** Values that never name another entity: looking them up would only cost. */
const NOT_REFERENCES = new Set([
  'id',
  'key',
  'type',
  'summary',
  'description',
  'status',
  'priority',
  'assignee',
  'comments',
  'attachments',
  'deleted',
]);
const MAX_IDS_PER_CALL = 200;

/** The strings a rule might translate: top-level string values and lists of strings, id-sized. */
export function candidateIds(values: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.length > 0 && v.length <= 200 && out.size < MAX_IDS_PER_CALL) out.add(v);
  };
  for (const [k, v] of Object.entries(values)) {
    if (NOT_REFERENCES.has(k)) continue;
    if (Array.isArray(v)) for (const x of v.slice(0, MAX_IDS_PER_CALL)) add(x);
    else add(v);
  }
  return [...out];
}

/** Per input, the ids it holds that have a twin, mapped across: `from` names the side the ids are on. */
async function twinTables(
  db: DbExecutor,
  connectionId: string,
  inputs: Array<Record<string, unknown>>,
  from: 'local_id' | 'remote_id',
): Promise<Array<Record<string, string>>> {
  const perInput = inputs.map(candidateIds);
  const all = [...new Set(perInput.flat())];
  const found = new Map<string, string>();
  if (all.length)
    for (const r of await inChunks(all, (chunk) =>
      db
        .selectFrom('sync_twins')
        .select(['local_id', 'remote_id'])
        .where('connection_id', '=', connectionId)
        .where(from, 'in', chunk)
        .execute(),
    ))
      if (r.remote_id) {
        if (from === 'remote_id') found.set(r.remote_id, r.local_id);
        else found.set(r.local_id, r.remote_id);
      }
  return perInput.map((ids) =>
    Object.fromEntries(ids.flatMap((i) => (found.has(i) ? [[i, found.get(i)!]] : []))),
  );
}

/** Per input, the partner's ids it holds that have a twin here: `{local: {remoteId: localId}}`. */
export async function incomingTwinTables(
  db: DbExecutor,
  connectionId: string,
  inputs: Array<Record<string, unknown>>,
): Promise<TwinTable[]> {
  return (await twinTables(db, connectionId, inputs, 'remote_id')).map((local) => ({ local }));
}

/** Per entity, our ids it holds that the partner has a twin of: `{remote: {localId: remoteId}}`. */
export async function outgoingTwinTables(
  db: DbExecutor,
  connectionId: string,
  inputs: Array<Record<string, unknown>>,
): Promise<TwinTable[]> {
  return (await twinTables(db, connectionId, inputs, 'local_id')).map((remote) => ({ remote }));
}

/**
 * Events that waited longer than `maxWaitMs` for an item they refer to become entity errors naming the item;
 * a retry of the error runs the event again (and it waits again if the item is still missing).
 * @example await expireWaits(db, Date.now(), 15 * 60_000);
 */
export async function expireWaits(db: Db, nowMs: number, maxWaitMs: number): Promise<number> {
  const cutoff = new Date(nowMs - maxWaitMs).toISOString();
  const due = await db
    .selectFrom('sync_reference_waits')
    .select(['connection_id', 'seq', 'missing_id'])
    .where('since', '<', cutoff)
    .limit(100)
    .execute();
  const bySeq = new Map<string, { connectionId: string; seq: number; missing: string[] }>();
  for (const d of due) {
    const key = `${d.connection_id}\u0000${d.seq}`;
    const entry = bySeq.get(key) ?? { connectionId: d.connection_id, seq: d.seq, missing: [] };
    entry.missing.push(d.missing_id);
    bySeq.set(key, entry);
  }
  let expired = 0;
  for (const { connectionId, seq, missing } of bySeq.values()) {
    // Another process's connection: its holder expires its waits.
    if (!holdsHere(db, connectionId)) continue;
    const expire = db.transaction().execute(async (tx) => {
      await fenceWrite(tx, connectionId);
      const row = await tx
        .selectFrom('sync_inbox')
        .select(['remote_id', 'status', 'payload'])
        .where('connection_id', '=', connectionId)
        .where('seq', '=', seq)
        .executeTakeFirst();
      await tx
        .deleteFrom('sync_reference_waits')
        .where('connection_id', '=', connectionId)
        .where('seq', '=', seq)
        .execute();
      if (row?.status !== 'waiting') return;
      const event = JSON.parse(row.payload) as { kind: string; key?: string | null };
      const key = event.key ?? row.remote_id;
      const twin = await tx
        .selectFrom('sync_twins')
        .select('local_id')
        .where('connection_id', '=', connectionId)
        .where('remote_id', '=', row.remote_id)
        .executeTakeFirst();
      const minutes = Math.round((maxWaitMs / 60_000) * 10) / 10;
      const errorId = await recordError(tx, {
        level: 'entity',
        connectionId,
        direction: 'in',
        entityId: twin?.local_id ?? null,
        remoteId: row.remote_id,
        eventSeq: seq,
        message: `The partner's ${key} refers to ${missing.map((m) => `the partner's item ${m}`).join(', ')}, which has not arrived here in ${minutes} min: it may not be in scope of this connection there. Sync that item, then retry; or resolve this error to skip the change.`,
      });
      await tx
        .updateTable('sync_inbox')
        .set({ status: 'failed', error_id: errorId })
        .where('connection_id', '=', connectionId)
        .where('seq', '=', seq)
        .execute();
      // The partner hears of it like any failure here.
      await logIncoming(tx, connectionId, [
        {
          seq,
          event: { kind: event.kind, entityId: row.remote_id, key: event.key ?? null },
          outcome: 'failed',
          entityId: twin?.local_id ?? null,
          errorId,
        },
      ]);
      expired++;
    });
    await expire.catch((err: unknown) => {
      if (!(err instanceof LeaseLost)) throw err; // taken over meanwhile: the new holder expires it
    });
  }
  return expired;
}

/** Drops what content sync keeps for a deleted connection. */
export async function forgetContent(tx: DbExecutor, connectionId: string): Promise<void> {
  for (const table of [
    'sync_attachment_links',
    'sync_attachment_wants',
    'sync_blob_offers',
    'sync_partner_deletions',
    'sync_reference_waits',
  ] as const)
    await tx.deleteFrom(table).where('connection_id', '=', connectionId).execute();
}
