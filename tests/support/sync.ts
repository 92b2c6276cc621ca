// Helpers for the multi-host sync tests: a paired A -> B, counting rules, rounds of changes, settled checks.
import { expect } from 'vitest';
import { createEntity, type Entity, openErrors, patchEntity, type SyncError } from './entities.ts';
import { type HostProcess, startHostProcess, waitFor } from './host-process.ts';
import { accept, initiate, LINK_ENV, portOf, waitConn } from './pairing-support.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export {
  createEntity,
  type Entity,
  getEntity,
  openErrors,
  patchEntity,
  type SyncError,
} from './entities.ts';

/** Fast link and engine timings so reconnects and idle ticks happen within a test's patience. */
export const SYNC_ENV = { ...LINK_ENV, TANDEM_SYNC_TICK_MS: '200' };

export interface QueueItem {
  seq: number;
  kind: string;
  entityId?: string;
  remoteId?: string;
  status?: string;
}

/** A: the public inviter, dialled by B (through `proxy` when there is one). B: the private acceptor. */
export interface SyncPair {
  a: HostProcess;
  b: HostProcess;
  aConn: string;
  bConn: string;
  proxy: TcpProxy | undefined;
}

/** A's outgoing rule: type, summary and description, plus the custom counter `n`. */
export const COUNTING_OUTGOING = `replica.type = entity.type;
replica.summary = entity.summary;
replica.description = entity.description;
replica.n = entity.n ?? 0;
`;

/**
 * B's incoming rule, deliberately not idempotent: each application appends `replica.n` to `seen`, so
 * `seen` is the exact history of what was applied (a replay shows as a duplicate, a loss as a gap).
 */
export const COUNTING_INCOMING = `entity.summary = replica.summary;
entity.description = replica.description;
entity.seen = (entity.seen || []).concat([replica.n]);
`;

/** Starts the same host again: same data directory, port and token. */
export function restart(h: HostProcess, name: string): Promise<HostProcess> {
  return startHostProcess({ dataDir: h.dataDir, port: portOf(h), token: h.token, name, env: SYNC_ENV });
}

/**
 * Starts A and B, pairs them (B dials A, through a TCP proxy if asked) and waits until both are active.
 * @example const { a, b, aConn, bConn } = await syncPair({ mode: 'basic' });
 */
export async function syncPair(opts: { mode?: 'script' | 'basic'; proxy?: boolean } = {}): Promise<SyncPair> {
  const [a, b] = await Promise.all([
    startHostProcess({ name: 'Alpha', env: SYNC_ENV }),
    startHostProcess({ name: 'Beta', env: SYNC_ENV }),
  ]);
  const proxy = opts.proxy ? await startTcpProxy(portOf(a)) : undefined;
  const node = await a.api('PATCH', '/api/node', { publicUrl: proxy?.url ?? a.url });
  if (node.status !== 200) throw new Error(`could not set the public URL: ${JSON.stringify(node.body)}`);
  const { connection, invitationCode } = await initiate(a, null, { mode: opts.mode ?? 'script' });
  const accepted = await accept(b, invitationCode);
  if (accepted.status !== 201) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  const bConn = accepted.body.connection.id;
  await waitConn(a, connection.id, (c) => c.state === 'active' && c.link.up);
  await waitConn(b, bConn, (c) => c.state === 'active' && c.link.up);
  return { a, b, aConn: connection.id, bConn, proxy };
}

export async function publishRules(
  h: HostProcess,
  conn: string,
  rules: { outgoing?: string; incoming?: string },
) {
  const current = await h.api<{ published: { outgoing: string; incoming: string } }>(
    'GET',
    `/api/connections/${conn}/rules`,
  );
  const r = await h.api('PUT', `/api/connections/${conn}/rules`, {
    ...current.body.published,
    ...rules,
    publish: true,
  });
  if (r.status !== 200) throw new Error(`publish failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A trigger that puts the incidents of `h` in scope of the connection (all but priority 5; the default is 3). */
export async function syncAllIncidents(h: HostProcess, conn: string) {
  const r = await h.api('POST', `/api/connections/${conn}/triggers`, {
    entityType: 'incident',
    query: 'priority != 5',
    active: true,
  });
  if (r.status !== 201) throw new Error(`trigger failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Every incident of a host, by summary (summaries are unique in these tests). */
export async function bySummary(h: HostProcess): Promise<Map<string, Entity>> {
  const out = new Map<string, Entity>();
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const q = `/api/entities?type=incident&limit=200${cursor ? `&cursor=${cursor}` : ''}`;
    const r = await h.api<{ items: Entity[]; nextCursor?: string }>('GET', q);
    for (const e of r.body.items) {
      if (out.has(e.fields.summary)) throw new Error(`two entities named ${e.fields.summary} on ${h.url}`);
      out.set(e.fields.summary, e);
    }
    cursor = r.body.nextCursor;
    if (!cursor) break;
  }
  return out;
}

interface Twin {
  remoteId: string | null;
  localReplica: Record<string, unknown> | null;
}

async function twinOf(h: HostProcess, id: string): Promise<Twin | undefined> {
  const r = await h.api<{ items: Twin[] }>('GET', `/api/entities/${id}/sync`);
  return r.body.items[0];
}

/** The replica last queued for `id` (its twin's local replica), or null. */
export async function lastQueued(h: HostProcess, id: string): Promise<Record<string, unknown> | null> {
  return (await twinOf(h, id))?.localReplica ?? null;
}

/** The id of `id`'s twin on the peer, once the peer has told it. */
export async function remoteIdOf(h: HostProcess, id: string): Promise<string | null> {
  return (await twinOf(h, id))?.remoteId ?? null;
}

export async function queue(h: HostProcess, conn: string, direction: 'in' | 'out'): Promise<QueueItem[]> {
  const r = await h.api<{ items: QueueItem[] }>(
    'GET',
    `/api/connections/${conn}/queue?direction=${direction}&limit=200`,
  );
  if (r.status !== 200) throw new Error(`queue failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}

/** The first open error of the connection, once there is one. */
export async function untilOpenError(h: HostProcess, conn: string): Promise<SyncError> {
  const open = await waitFor(async () => (await openErrors(h, conn))[0], 15_000);
  return open!;
}

/**
 * Writes round `n` on A: round 1 creates the entities named `names` with `fields` (their ids go into `ids`),
 * later rounds set `n`.
 */
export async function writeRound(
  a: HostProcess,
  ids: string[],
  names: string[],
  n: number,
  fields: Record<string, unknown> = {},
): Promise<void> {
  if (n === 1) {
    const made = await Promise.all(names.map((summary) => createEntity(a, { ...fields, summary, n: 1 })));
    ids.push(...made.map((e) => e.id));
  } else {
    await Promise.all(ids.map((id) => patchEntity(a, id, { n })));
  }
}

/**
 * Waits until A queued round `n` of every entity (its outgoing rule ran on that state): the engine sends an
 * entity's state when it gets to it, so without this wait two rounds of one entity may go as one replica.
 */
export async function untilQueued(a: HostProcess, ids: string[], n: number, timeoutMs = 15_000) {
  await waitFor(async () => {
    const replicas = await Promise.all(ids.map((id) => lastQueued(a, id)));
    return replicas.every((r) => r?.n === n);
  }, timeoutMs);
}

/** `[1, 2, ..., n]` */
export const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Waits until B applied round `n` of the entities named `names`; returns B's incidents by summary. */
export async function untilApplied(
  p: SyncPair,
  names: string[],
  n: number,
  timeoutMs = 15_000,
): Promise<Map<string, Entity>> {
  const all = await waitFor(async () => {
    const all = await bySummary(p.b);
    const done = names.every((s) => {
      const seen = all.get(s)?.fields.seen;
      return Array.isArray(seen) && seen.at(-1) === n;
    });
    return done ? all : undefined;
  }, timeoutMs);
  return all!;
}

/**
 * Waits until B shows round `rounds` of the entities named `names`, then checks what B applied: each once, with
 * `seen` exactly `[1..rounds]` (nothing lost, nothing twice, in order), and nothing left queued or failed.
 */
export async function expectAppliedOnce(p: SyncPair, names: string[], rounds: number, timeoutMs = 30_000) {
  const atB = await untilApplied(p, names, rounds, timeoutMs);
  // Every incident of A is on B once (creates are not replayed into duplicates), and only those.
  expect([...atB.keys()].sort()).toEqual([...(await bySummary(p.a)).keys()].sort());
  for (const name of names)
    expect({ name, seen: atB.get(name)!.fields.seen }).toEqual({ name, seen: upTo(rounds) });
  await waitFor(async () => (await queue(p.a, p.aConn, 'out')).length === 0, 15_000);
  expect(await queue(p.b, p.bConn, 'in')).toEqual([]);
  expect(await openErrors(p.a, p.aConn)).toEqual([]);
  expect(await openErrors(p.b, p.bConn)).toEqual([]);
}
