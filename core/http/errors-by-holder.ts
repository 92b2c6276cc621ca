// Several processes on one database: retry all / resolve all act on the errors of many connections, and each
// connection's errors can only be acted on by the process holding its lease (its writes are fenced). The process
// the request reached acts on the errors of the connections it holds (and those of no connection), asks the holder
// of each other connection for that connection's part (the same filter narrowed to it), and sums the answers.
import type { Context } from 'hono';
import type { Db } from '../../storage/schema.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Logger } from '../log.ts';
import type { BulkErrorResult } from '../sync/engine/error-actions.ts';
import { BULK_LIMIT } from '../sync/engine/error-actions.ts';
import type { SyncEngine } from '../sync/engine.ts';
import { type ErrorFilter, openErrorsMatching } from '../sync/error-list.ts';
import { actorOf } from './actor.ts';
import type { AppEnv } from './app-env.ts';
import { FORWARDED_HEADER, processUnreachable, siblingHeaders } from './forward-to-holder.ts';

/**
 * On a part asked by another process of the node: the receiving process's relay key, which only the node's
 * processes know. Such a part writes no audit entry (the process that split the request writes the one entry).
 */
export const PART_HEADER = 'x-tandem-part';

export type BulkErrorAction = 'retry' | 'resolve';

/**
 * Retry all / resolve all over every process of the node; on one process, the engine's own.
 * @example const r = await bulk('resolve', { level: 'entity' }, c); // {matched, resolved, open, atPeer, more}
 */
export type BulkErrors = (
  action: BulkErrorAction,
  filter: ErrorFilter,
  c: Context<AppEnv>,
) => Promise<BulkErrorResult>;

/** Parts asked of the other processes at once, at most (one per connection held elsewhere). */
const PARALLEL_PARTS = 4;

const NONE: BulkErrorResult = { matched: 0, resolved: 0, open: 0, atPeer: 0, more: false };

function sum(a: BulkErrorResult, b: BulkErrorResult): BulkErrorResult {
  return {
    matched: a.matched + b.matched,
    resolved: a.resolved + b.resolved,
    open: a.open + b.open,
    atPeer: a.atPeer + b.atPeer,
    more: a.more || b.more,
  };
}

/** A part's answer as another process sent it, checked at the edge. */
function bulkResultOf(value: unknown): BulkErrorResult | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const n = (k: string) => (typeof v[k] === 'number' ? v[k] : undefined);
  const [matched, resolved, open, atPeer] = [n('matched'), n('resolved'), n('open'), n('atPeer')];
  if (matched === undefined || resolved === undefined || open === undefined || atPeer === undefined)
    return undefined;
  return { matched, resolved, open, atPeer, more: v.more === true };
}

export function bulkErrorsByHolder(p: {
  db: Db;
  cluster: Cluster;
  engine: SyncEngine;
  log: Logger;
}): BulkErrors {
  const { leases } = p.cluster;

  async function askHolder(
    c: Context<AppEnv>,
    action: BulkErrorAction,
    filter: ErrorFilter,
    connectionId: string,
    holder: { url: string; relayKey: string },
  ): Promise<BulkErrorResult> {
    const headers = siblingHeaders(c);
    headers.set('content-type', 'application/json');
    headers.set(PART_HEADER, holder.relayKey);
    const to = `${holder.url.replace(/\/+$/, '')}/api/errors/${action}`;
    // The other processes did their parts: calling again acts on what is still open.
    const failed = (why: string) => processUnreachable(connectionId, `did not do its part (${why})`);
    let res: Response;
    try {
      res = await fetch(to, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...filter, connectionId }),
      });
    } catch (err) {
      p.log.warn(
        { err, connectionId, to: holder.url },
        'asking the holder for its part of a bulk action failed',
      );
      throw failed('not reachable');
    }
    const body: unknown = await res.json().catch(() => undefined);
    const result = res.ok ? bulkResultOf(body) : undefined;
    if (!result) {
      p.log.warn(
        { status: res.status, connectionId, to: holder.url },
        'the holder refused its part of a bulk action',
      );
      throw failed(`answered ${res.status}`);
    }
    return result;
  }

  return async (action, filter, c) => {
    const by = actorOf(c);
    const act = (f: ErrorFilter) =>
      action === 'retry' ? p.engine.retryErrors(f, by) : p.engine.resolveErrors(f, by);
    const key = c.req.header(PART_HEADER);
    if (key !== undefined && leases.acceptsRelay(key)) {
      // A part another process of the node asked of this one (its key proves it): acted on here, and marked so
      // that no second audit entry is written for it.
      c.header(FORWARDED_HEADER, 'part');
      return act(filter);
    }
    if (!leases.shared) return act(filter);
    const rows = await openErrorsMatching(p.db, filter, BULK_LIMIT + 1);
    const elsewhere = new Map<string, { url: string; relayKey: string }>();
    for (const id of new Set(rows.slice(0, BULK_LIMIT).flatMap((r) => r.connection_id ?? []))) {
      if (leases.holds(id)) continue;
      // A connection no live process holds is taken here; one whose holder is unknown is tried here.
      const place = await leases.place(id);
      if (!place.here && place.processId !== null) elsewhere.set(id, place);
    }
    if (elsewhere.size === 0) return act(filter);
    p.log.debug({ parts: elsewhere.size, action }, 'bulk error action split over the processes');
    let total = await act({ ...filter, exceptConnections: [...elsewhere.keys()] });
    const parts = [...elsewhere];
    let failure: unknown;
    // Every part is asked even when one fails: what could be done is done, and the answer names what was not.
    for (let i = 0; i < parts.length; i += PARALLEL_PARTS) {
      const batch = parts.slice(i, i + PARALLEL_PARTS);
      const done = await Promise.allSettled(
        batch.map(([id, holder]) => askHolder(c, action, filter, id, holder)),
      );
      for (const d of done) {
        if (d.status === 'fulfilled') total = sum(total, d.value);
        else failure ??= d.reason;
      }
    }
    if (failure !== undefined) throw failure;
    return sum(total, { ...NONE, more: rows.length > BULK_LIMIT });
  };
}
