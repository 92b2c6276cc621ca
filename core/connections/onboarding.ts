// Onboarding over the link: health checks, the pair.* exchange that activates both sides, link status, revocation.
import { z } from 'zod';
import type { ConnectionRow, Db } from '../../storage/schema.ts';
import type { LinkNetwork } from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import type { SerialQueue } from '../util/serial-queue.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import type { ConnectionEvents } from './connection-events.ts';
import type { ConnectionStore } from './connection-store.ts';
import { type ConnectionMode, linkStatus, ONBOARDING } from './connection-view.ts';
import { type HealthCheck, runHealthChecks } from './health-checks.ts';
import { isPairing, nextState } from './lifecycle.ts';

/** A check added to every health report and validation. */
export type ExtraHealthCheck = (connection: { id: string; mode: ConnectionMode }) => Promise<HealthCheck>;

/**
 * Validation and onboarding of connections; listens to the link (status, `pair.*`, `link.revoke`) itself.
 * @example const { row, checks } = await onboarding.validate(row); // checks ran; if all passed, onboarding began
 */
export interface Onboarding {
  /** The built-in checks and every added one (a check that throws fails, with a fix). */
  checks(row: ConnectionRow): Promise<HealthCheck[]>;
  /** Runs the checks; while pairing, moves the state by their outcome and, if they passed, starts onboarding. */
  validate(row: ConnectionRow): Promise<{ row: ConnectionRow; checks: HealthCheck[] }>;
  addHealthCheck(check: ExtraHealthCheck): void;
}

export interface OnboardingDeps {
  store: ConnectionStore;
  events: ConnectionEvents;
  /** The lifecycle steps of each connection, one at a time (frames and status changes are queued on it). */
  steps: SerialQueue;
  link: LinkNetwork;
  log: Logger;
  myUrl: () => string | null;
  db: Db;
}

/** The pairing frames this module sends and receives (channels `pair.*`, `link.revoke`). */
const onboardFrame = z.object({
  ch: z.literal('pair.onboard'),
  mode: z.string().max(20),
  protocol: z.number().int(),
  name: z.string().max(200),
});
const stateFrame = z.object({
  ch: z.literal('pair.state'),
  state: z.enum(['active', 'deactivated']),
  at: z.iso.datetime(),
});

export function createOnboarding(deps: OnboardingDeps): Onboarding {
  const { store, events, steps, link: net, log, myUrl, db } = deps;
  /** Per live link: the peer sent its onboarding settings / acknowledged ours. Reset when the link drops. */
  const peerOnboarded = new Set<string>();
  const peerAcked = new Set<string>();
  const extraChecks: ExtraHealthCheck[] = [];
  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => steps.run(id, fn);

  async function checks(row: ConnectionRow): Promise<HealthCheck[]> {
    const builtIn = await runHealthChecks({ db, row, linkUp: net.isUp(row.id), myUrl: myUrl() });
    const added = await Promise.all(
      extraChecks.map((check) =>
        check({ id: row.id, mode: row.mode }).catch(
          (err: unknown): HealthCheck => ({
            name: 'extension_check',
            ok: false,
            detail: `A health check failed to run: ${(err as Error).message}`,
            fix: 'See the host log',
          }),
        ),
      ),
    );
    return [...builtIn, ...added];
  }

  async function validateRow(row: ConnectionRow): Promise<{ row: ConnectionRow; checks: HealthCheck[] }> {
    const results = await checks(row);
    if (!isPairing(row.state)) return { row, checks: results };
    const failed = results.filter((c) => !c.ok);
    if (failed.length > 0) {
      const next = await events.setState(row, nextState(row.state, 'checks_failed') ?? row.state, {
        last_error: failed.map((c) => c.detail).join('; '),
      });
      return { row: next, checks: results };
    }
    const passed = nextState(row.state, 'checks_passed') ?? row.state;
    let next = row.state === passed ? row : await events.setState(row, passed, { last_error: null });
    await events.onboarding(next, ONBOARDING.started);
    if (net.isUp(row.id)) {
      net.send(row.id, { ch: 'pair.onboard', mode: row.mode, protocol: PROTOCOL_VERSION, name: row.name });
    }
    next = await maybeComplete(next);
    return { row: next, checks: results };
  }

  /** Both sides exchanged onboarding settings: the connection becomes active, and the peer hears it. */
  async function maybeComplete(row: ConnectionRow): Promise<ConnectionRow> {
    const to = nextState(row.state, 'onboarded');
    if (!to || !peerOnboarded.has(row.id) || !peerAcked.has(row.id)) return row;
    const next = await events.setState(row, to);
    await events.onboarding(next, ONBOARDING.complete);
    net.send(row.id, { ch: 'pair.state', state: 'active', at: next.state_changed_at });
    return next;
  }

  async function onLinkUp(id: string) {
    const row = await store.byId(id);
    if (!row) return;
    events.emit('status', id, row.state);
    if (isPairing(row.state)) {
      await validateRow(row);
    } else if (row.state === 'active' || row.state === 'deactivated') {
      net.send(id, { ch: 'pair.state', state: row.state, at: row.state_changed_at });
    } else if (row.state === 'error' && row.last_error === 'The peer removed this connection') {
      net.disconnect(id, 4403, 'revoked');
    }
  }

  /** Keeps the outbound/inbound columns in step with the live link, for readers of the table. */
  async function recordStatus(id: string): Promise<ConnectionRow | undefined> {
    const row = await store.byId(id);
    if (!row) return undefined;
    const status = linkStatus(row, net.stats(id));
    if (row.outbound !== status || row.inbound !== status) {
      await store.update(id, { outbound: status, inbound: status });
      row.outbound = status;
      row.inbound = status;
    }
    return row;
  }

  net.onStatus((id, up) => {
    if (!up) {
      peerOnboarded.delete(id);
      peerAcked.delete(id);
    }
    serial(id, async () => {
      const row = await recordStatus(id);
      if (!row) return;
      if (up) await onLinkUp(id);
      else events.emit('status', id, row.state);
    }).catch((err: unknown) => log.error({ err, connectionId: id }, 'link status handling failed'));
  });

  net.handle('pair.onboard', (id, raw) =>
    serial(id, async () => {
      const row = await store.byId(id);
      const parsed = onboardFrame.safeParse(raw);
      if (!row || !parsed.success) return;
      const frame = parsed.data;
      if (frame.mode !== row.mode) {
        await events.setState(row, nextState(row.state, 'mode_mismatch') ?? row.state, {
          last_error: `The peer has this connection in ${String(frame.mode)} mode, this host in ${row.mode}`,
        });
        return;
      }
      peerOnboarded.add(id);
      net.send(id, { ch: 'pair.onboarded' });
      if (isPairing(row.state)) {
        await events.onboarding(row, ONBOARDING.syncing);
        await maybeComplete(row);
      }
    }),
  );

  net.handle('pair.onboarded', (id) =>
    serial(id, async () => {
      peerAcked.add(id);
      const row = await store.byId(id);
      if (row) await maybeComplete(row);
    }),
  );

  net.handle('pair.state', (id, raw) =>
    serial(id, async () => {
      const row = await store.byId(id);
      const parsed = stateFrame.safeParse(raw);
      if (!row || !parsed.success) return;
      const { state, at } = parsed.data;
      if (row.state === state) return;
      if (row.state === 'validated' && state === 'active' && peerOnboarded.has(id)) {
        // The peer finished onboarding first; its acknowledgement may still be in flight.
        peerAcked.add(id);
        await maybeComplete(row);
        return;
      }
      const to = nextState(row.state, state === 'active' ? 'peer_activated' : 'peer_deactivated');
      if (to && at > row.state_changed_at) await events.setState(row, to, { state_changed_at: at });
    }),
  );

  net.handle('link.revoke', (id) =>
    serial(id, async () => {
      const row = await store.byId(id);
      if (!row) return;
      void net.stopDialing(id);
      await store.revoke(row, false);
      await events.setState(row, nextState(row.state, 'revoked') ?? row.state, {
        last_error: 'The peer removed this connection',
      });
      net.disconnect(id, 4403, 'revoked');
    }),
  );

  return { checks, validate: validateRow, addHealthCheck: (check) => void extraChecks.push(check) };
}
