// Health checks of one connection, each with a fix hint: what "Validated" and "Validation failed" rest on.
import type { ConnectionRow, Db } from '../../storage/schema.ts';
import { nodeIdOf } from '../identity/node-identity.ts';
import { writeSetting } from '../identity/node-settings.ts';
import { MAX_CLOCK_SKEW_MS } from '../link/handshake.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import { probePeer, type WellKnown } from './probe.ts';

export interface HealthCheck {
  /** Built in: peer_reachable, key_matches, protocol_compatible, clock_skew, storage_writable; others add theirs. */
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** Skew the checks accept: half of what the handshake tolerates, so a drifting clock is flagged early. */
export const HEALTHY_SKEW_MS = MAX_CLOCK_SKEW_MS / 2;

export interface CheckContext {
  db: Db;
  row: ConnectionRow;
  linkUp: boolean;
  myUrl: string | null;
}

export async function runHealthChecks(ctx: CheckContext): Promise<HealthCheck[]> {
  const { row, linkUp } = ctx;
  let doc: WellKnown | undefined;
  let probeError = '';
  if (!linkUp && row.peer_url) {
    doc = await probePeer(row.peer_url, 3000).catch((err: Error) => {
      probeError = err.message;
      return undefined;
    });
  }
  const checks: HealthCheck[] = [];

  if (linkUp) checks.push({ name: 'peer_reachable', ok: true, detail: 'The link to the peer is up' });
  else if (doc) {
    checks.push({
      name: 'peer_reachable',
      ok: true,
      detail: `${row.peer_url} answers; the link is reconnecting`,
    });
  } else {
    checks.push({
      name: 'peer_reachable',
      ok: false,
      detail: row.peer_url
        ? `The peer at ${row.peer_url} does not answer (${probeError})`
        : 'The peer has not dialed in',
      fix: row.peer_url
        ? `Check that the peer host is running and that ${row.peer_url} is reachable from this host`
        : `The peer dials this host: check that it is running and can reach ${ctx.myUrl ?? 'this host'}`,
    });
  }

  if (linkUp)
    checks.push({ name: 'key_matches', ok: true, detail: 'The peer proved the pinned key on this link' });
  else if (doc && row.peer_node_id) {
    const same = (await nodeIdOf(doc.publicKey)) === row.peer_node_id;
    checks.push(
      same
        ? { name: 'key_matches', ok: true, detail: 'The peer publishes the pinned key' }
        : {
            name: 'key_matches',
            ok: false,
            detail: `The host at ${row.peer_url} has another key than the one pinned at pairing`,
            fix: 'If the peer was reinstalled, delete this connection and pair again; otherwise check the URL',
          },
    );
  } else {
    checks.push({
      name: 'key_matches',
      ok: false,
      detail: 'The peer key could not be verified while the peer is unreachable',
      fix: 'Bring the link up, then validate again',
    });
  }

  const protocol = row.peer_protocol ?? doc?.protocol ?? null;
  checks.push(
    protocol === PROTOCOL_VERSION
      ? { name: 'protocol_compatible', ok: true, detail: `Both hosts speak protocol ${PROTOCOL_VERSION}` }
      : {
          name: 'protocol_compatible',
          ok: false,
          detail:
            protocol === null
              ? 'The peer protocol is not known yet'
              : `The peer speaks protocol ${protocol}, this host ${PROTOCOL_VERSION}`,
          fix: 'Upgrade the older host so both run the same Tandem protocol version',
        },
  );

  const skew = row.clock_skew_ms;
  checks.push(
    skew !== null && Math.abs(skew) <= HEALTHY_SKEW_MS
      ? { name: 'clock_skew', ok: true, detail: `Clocks differ by ${Math.round(Math.abs(skew) / 1000)} s` }
      : {
          name: 'clock_skew',
          ok: false,
          detail:
            skew === null
              ? 'The clock skew has not been measured yet'
              : `Clocks differ by ${Math.round(skew / 1000)} s`,
          fix: `Synchronise both hosts' clocks (NTP); the bound is ${HEALTHY_SKEW_MS / 1000} s`,
        },
  );

  try {
    await ctx.db.transaction().execute(async (tx) => {
      await writeSetting(tx, `health.probe.${row.id}`, new Date().toISOString());
      await writeSetting(tx, `health.probe.${row.id}`, null);
    });
    checks.push({ name: 'storage_writable', ok: true, detail: 'The database accepts writes' });
  } catch (err) {
    checks.push({
      name: 'storage_writable',
      ok: false,
      detail: `The database refused a write: ${(err as Error).message}`,
      fix: 'Check free disk space and the permissions of the data directory',
    });
  }
  return checks;
}

/** What the tracker check needs of the tracker: its optional `health()` (checks as values). */
export interface TrackerHealthSource {
  readonly id: string;
  health?(): Promise<HealthCheck[]>;
}

/**
 * The system of record's checks as one check of every connection (`tracker_healthy`): a connection cannot sync
 * while its tracker fails (a wrong password, a table it may not read), so validation fails with the tracker's fix.
 * @example if (tracker.health) connections.addHealthCheck(trackerHealthCheck(tracker));
 */
export function trackerHealthCheck(tracker: TrackerHealthSource): () => Promise<HealthCheck> {
  return async () => {
    const checks = (await tracker.health?.()) ?? [];
    const failed = checks.filter((c) => !c.ok);
    if (failed.length === 0)
      return {
        name: 'tracker_healthy',
        ok: true,
        detail: `The ${tracker.id} tracker passes its ${checks.length} checks`,
      };
    const first = failed.find((c) => c.fix) ?? failed[0]!;
    return {
      name: 'tracker_healthy',
      ok: false,
      detail: `The ${tracker.id} tracker fails ${failed.map((c) => `"${c.name}": ${c.detail}`).join('; ')}`,
      fix: first.fix ?? "See GET /api/tracker for the tracker's checks",
    };
  };
}
