// Helpers for the per-mode tests on real hosts: pairing in a mode, entities, twins, triggers and errors.

import { type Entity, getEntity } from './entities.ts';
import { type HostProcess, waitFor } from './host-process.ts';
import { accept, type Conn, initiate, waitConn } from './pairing-support.ts';

export {
  type Comment,
  createEntity,
  type Entity,
  getEntity,
  openErrors,
  patchEntity,
  type SyncError,
} from './entities.ts';

export interface Rules {
  mode: string;
  editable: boolean;
  version: number;
  origin: string;
  published: Record<string, unknown>;
}

/** `waitFor` for a look-up that answers `undefined` until the value is there. */
export function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  return waitFor(fn, timeoutMs) as Promise<T>;
}

/** Pairs `inviter` with `acceptor` in `mode` (bound invitation) and waits until both sides are active and linked. */
export async function pairInMode(
  inviter: HostProcess,
  acceptor: HostProcess,
  mode: 'basic' | 'visual' | 'script',
): Promise<{ a: Conn; b: Conn }> {
  const { connection, invitationCode } = await initiate(inviter, acceptor, { mode });
  const r = await accept(acceptor, invitationCode);
  if (r.status !== 201) throw new Error(`accept failed: ${r.status} ${JSON.stringify(r.body)}`);
  const [a, b] = await Promise.all([
    waitConn(inviter, connection.id, (c) => c.state === 'active' && c.link.up),
    waitConn(acceptor, r.body.connection.id, (c) => c.state === 'active' && c.link.up),
  ]);
  return { a, b };
}

/** Adds an active trigger; fails the test if the host refuses it. */
export async function addTrigger(
  h: HostProcess,
  connectionId: string,
  query: string,
  entityType = 'incident',
): Promise<void> {
  const r = await h.api('POST', `/api/connections/${connectionId}/triggers`, {
    entityType,
    query,
    active: true,
  });
  if (r.status !== 201) throw new Error(`trigger refused: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function addComment(h: HostProcess, id: string, body: string, internal: boolean): Promise<void> {
  const r = await h.api('POST', `/api/entities/${id}/comments`, { body, author: 'ann', internal });
  if (r.status !== 201) throw new Error(`comment refused: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The id of the peer's twin of a local entity, once the peer has created it and told us. */
export function twinOf(
  h: HostProcess,
  entityId: string,
  connectionId: string,
  timeoutMs = 10_000,
): Promise<string> {
  return until(async () => {
    const r = await h.api<{ items: { connectionId: string; remoteId: string | null }[] }>(
      'GET',
      `/api/entities/${entityId}/sync`,
    );
    return r.body.items.find((t) => t.connectionId === connectionId)?.remoteId ?? undefined;
  }, timeoutMs);
}

/** Polls an entity until `pred` holds; returns it then. */
export function waitEntity(
  h: HostProcess,
  id: string,
  pred: (e: Entity) => boolean,
  timeoutMs = 10_000,
): Promise<Entity> {
  return until(async () => {
    const e = await getEntity(h, id);
    return pred(e) ? e : undefined;
  }, timeoutMs);
}

export async function getRules(h: HostProcess, connectionId: string): Promise<Rules> {
  const r = await h.api<Rules>('GET', `/api/connections/${connectionId}/rules`);
  if (r.status !== 200) throw new Error(`GET rules: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
