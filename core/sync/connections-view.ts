// The sync engine's read-only view of connections (the pairing subsystem owns the table).
import type { DbExecutor } from '../../storage/schema.ts';
import type { ConnectionInfo } from '../sandbox/sandbox.ts';

export interface SyncConnection {
  id: string;
  name: string;
  mode: 'basic' | 'visual' | 'script';
  state: string;
  localName: string;
  remoteName: string;
}

/** States in which a connection follows local changes (deactivated ones keep queueing). */
export const FOLLOWING_STATES = ['active', 'deactivated', 'error'];

export async function syncConnections(db: DbExecutor): Promise<SyncConnection[]> {
  const rows = await db
    .selectFrom('connections')
    .select(['id', 'name', 'mode', 'state', 'local_name', 'remote_name'])
    .where('state', 'in', FOLLOWING_STATES as never[])
    .orderBy('created_at')
    .execute();
  return rows.map(toView);
}

export async function syncConnection(db: DbExecutor, id: string): Promise<SyncConnection | undefined> {
  const row = await db
    .selectFrom('connections')
    .select(['id', 'name', 'mode', 'state', 'local_name', 'remote_name'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toView(row) : undefined;
}

function toView(r: {
  id: string;
  name: string;
  mode: SyncConnection['mode'];
  state: string;
  local_name: string;
  remote_name: string;
}): SyncConnection {
  return {
    id: r.id,
    name: r.name,
    mode: r.mode,
    state: r.state,
    localName: r.local_name,
    remoteName: r.remote_name,
  };
}

export const connectionInfo = (c: SyncConnection): ConnectionInfo => ({
  id: c.id,
  name: c.name,
  localName: c.localName,
  remoteName: c.remoteName,
});
