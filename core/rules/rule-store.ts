// Reads and writes rule versions and drafts, and the connection facts rules need.
import type { Db, DbExecutor } from '../../storage/schema.ts';
import type { ModeId } from '../mode.ts';
import type { ConnectionInfo } from '../sandbox/sandbox.ts';
import { isModeId } from './mode-registry.ts';

export interface StoredVersion {
  version: number;
  mode: ModeId;
  rules: unknown;
  origin: string;
  publishedAt: string;
}

export interface StoredDraft {
  rules: unknown;
  baseVersion: number;
  updatedAt: string;
}

export interface RuleConnection extends ConnectionInfo {
  mode: ModeId;
  state: string;
  peerNodeId: string | null;
}

export async function loadConnection(db: DbExecutor, id: string): Promise<RuleConnection | undefined> {
  const row = await db
    .selectFrom('connections')
    .select(['id', 'name', 'mode', 'state', 'local_name', 'remote_name', 'peer_node_id'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || !isModeId(row.mode)) return undefined;
  return {
    id: row.id,
    name: row.name,
    mode: row.mode,
    state: row.state,
    localName: row.local_name,
    remoteName: row.remote_name,
    peerNodeId: row.peer_node_id,
  };
}

export async function latestVersion(
  db: DbExecutor,
  connectionId: string,
): Promise<StoredVersion | undefined> {
  const row = await db
    .selectFrom('rule_versions')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row || !isModeId(row.mode)) return undefined;
  return {
    version: row.version,
    mode: row.mode,
    rules: JSON.parse(row.rules),
    origin: row.origin,
    publishedAt: row.published_at,
  };
}

/** Published versions, newest first, below `before` when given (one more than `limit` tells there are more). */
export async function listVersions(
  db: DbExecutor,
  connectionId: string,
  limit: number,
  before?: number,
): Promise<StoredVersion[]> {
  let q = db.selectFrom('rule_versions').selectAll().where('connection_id', '=', connectionId);
  if (before !== undefined) q = q.where('version', '<', before);
  const rows = await q.orderBy('version', 'desc').limit(limit).execute();
  return rows.flatMap((row) =>
    isModeId(row.mode)
      ? [
          {
            version: row.version,
            mode: row.mode,
            rules: JSON.parse(row.rules),
            origin: row.origin,
            publishedAt: row.published_at,
          },
        ]
      : [],
  );
}

/** Inserts a version unless it already exists (two first reads racing to create the defaults). */
export async function insertVersion(
  db: DbExecutor,
  connectionId: string,
  v: Omit<StoredVersion, 'publishedAt'>,
): Promise<void> {
  await db
    .insertInto('rule_versions')
    .values({
      connection_id: connectionId,
      version: v.version,
      mode: v.mode,
      rules: JSON.stringify(v.rules),
      origin: v.origin,
      published_at: new Date().toISOString(),
    })
    .onConflict((oc) => oc.columns(['connection_id', 'version']).doNothing())
    .execute();
}

export async function loadDraft(db: DbExecutor, connectionId: string): Promise<StoredDraft | undefined> {
  const row = await db
    .selectFrom('rule_drafts')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  return row
    ? { rules: JSON.parse(row.rules), baseVersion: row.base_version, updatedAt: row.updated_at }
    : undefined;
}

export async function saveDraft(
  db: DbExecutor,
  connectionId: string,
  rules: unknown,
  baseVersion: number,
): Promise<void> {
  const values = {
    rules: JSON.stringify(rules),
    base_version: baseVersion,
    updated_at: new Date().toISOString(),
  };
  await db
    .insertInto('rule_drafts')
    .values({ connection_id: connectionId, ...values })
    .onConflict((oc) => oc.column('connection_id').doUpdateSet(values))
    .execute();
}

export async function deleteDraft(db: DbExecutor, connectionId: string): Promise<void> {
  await db.deleteFrom('rule_drafts').where('connection_id', '=', connectionId).execute();
}

export type { Db };
