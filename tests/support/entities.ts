// Entities and errors through a real host's admin API, as the multi-host tests read and write them.
import type { HostProcess } from './host-process.ts';

export interface Comment {
  id: string;
  author: string;
  body: string;
  internal: boolean;
}

export interface Entity {
  id: string;
  key: string;
  type: string;
  fields: Record<string, unknown> & { summary: string };
  comments: Comment[];
  version: number;
}

export interface SyncError {
  id: string;
  level: string;
  connectionId: string;
  entityId?: string;
  remoteId?: string;
  direction: 'out' | 'in' | null;
  message: string;
  script?: string;
  scriptLine?: number;
  status: string;
}

export async function createEntity(
  h: HostProcess,
  fields: Record<string, unknown>,
  type = 'incident',
): Promise<Entity> {
  const r = await h.api<Entity>('POST', '/api/entities', { type, fields });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function getEntity(h: HostProcess, id: string): Promise<Entity> {
  const r = await h.api<Entity>('GET', `/api/entities/${id}`);
  if (r.status !== 200) throw new Error(`GET entity ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function patchEntity(
  h: HostProcess,
  id: string,
  fields: Record<string, unknown>,
): Promise<Entity> {
  const r = await h.api<Entity>('PATCH', `/api/entities/${id}`, { fields });
  if (r.status !== 200) throw new Error(`PATCH entity ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The open errors of a connection. */
export async function openErrors(h: HostProcess, connectionId: string): Promise<SyncError[]> {
  const r = await h.api<{ items: SyncError[] }>(
    'GET',
    `/api/errors?connectionId=${encodeURIComponent(connectionId)}&status=open&limit=200`,
  );
  if (r.status !== 200) throw new Error(`GET errors: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}
