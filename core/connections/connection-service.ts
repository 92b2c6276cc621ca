// Connections: composes pairing, the link directory and onboarding over one store, one event stream and
// one queue of lifecycle steps per connection; the admin actions (activate, deactivate, remove) live here.
import type { ConnectionRow, Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { NodeSettings } from '../identity/node-settings.ts';
import type { LinkDirectory, LinkNetwork } from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import { type ConnectionEvent, createConnectionEvents } from './connection-events.ts';
import { mustBeFree } from './connection-names.ts';
import { createConnectionStore } from './connection-store.ts';
import {
  type Connection,
  type ConnectionMode,
  type ConnectionState,
  ONBOARDING,
  toConnection,
} from './connection-view.ts';
import { connectionCounts } from './counts.ts';
import type { HealthCheck } from './health-checks.ts';
import { nextState } from './lifecycle.ts';
import { createOnboarding, type ExtraHealthCheck } from './onboarding.ts';
import { type CreateConnectionInput, createPairing, type Pairing } from './pairing.ts';
import { createPairingDirectory, dialTarget, invitationOpen } from './pairing-directory.ts';
import { createPendingInvitations, type PendingInvitation } from './pending-invitation.ts';

export type { ConnectionEvent, CreateConnectionInput, PendingInvitation };

export interface HealthReport {
  state: ConnectionState;
  checks: HealthCheck[];
}

/**
 * Pairing and lifecycle of connections. Other subsystems read connections and react to changes.
 * @example
 * connections.onChange((e) => { if (e.type === 'state' && e.state === 'active') resume(e.id); });
 */
export interface ConnectionService {
  get(id: string): Promise<Connection | undefined>;
  list(): Promise<Connection[]>;
  /** One page, newest first, for the admin API. */
  page(opts: {
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ items: Connection[]; nextCursor?: string }>;
  onChange(listener: (event: ConnectionEvent) => void): () => void;
  create: Pairing['create'];
  accept: Pairing['accept'];
  inspect: Pairing['inspect'];
  /** Renames or re-describes a connection (this side only); a name another connection has is 409. */
  update(
    id: string,
    patch: { name?: string | undefined; description?: string | undefined },
  ): Promise<Connection>;
  /** A pending connection's code, shown again. */
  invitation(id: string): Promise<PendingInvitation>;
  /** A new code for a pending connection; the old one stops working. */
  renewInvitation(id: string): Promise<PendingInvitation>;
  activate(id: string): Promise<Connection>;
  deactivate(id: string): Promise<Connection>;
  remove(id: string): Promise<void>;
  health(id: string): Promise<HealthReport>;
  validate(id: string): Promise<HealthReport>;
  /**
   * Adds a check to every health report and validation (e.g. the rules module: "rules compile").
   * @example connections.addHealthCheck(async (c) => ({ name: 'rules_compile', ok: true, detail: 'Rules compile' }));
   */
  addHealthCheck(check: ExtraHealthCheck): void;
  /** Starts dialing every connection this side dials. */
  start(): Promise<void>;
  /** Dials the connection if this side dials it (this process took it over from another). */
  dial(id: string): Promise<void>;
}

export interface ConnectionServices {
  db: Db;
  identity: NodeIdentity;
  settings: NodeSettings;
  log: Logger;
  /** The time invitations are issued, verified and expire by; tests pass a shifted one. */
  clock?: (() => Date) | undefined;
}

export function createConnectionService(
  services: ConnectionServices,
  network: (directory: LinkDirectory) => LinkNetwork,
): { service: ConnectionService; network: LinkNetwork } {
  const { db, identity, settings, log } = services;
  const clock = services.clock ?? (() => new Date());
  const now = () => clock().toISOString();
  const store = createConnectionStore(db, now);
  /** Runs lifecycle steps of one connection one at a time. */
  const steps = createSerialQueue();
  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => steps.run(id, fn);
  const events = createConnectionEvents({ store, now, log, isUp: (id) => net.isUp(id) });
  const net = network(createPairingDirectory({ store, events, steps, now, log }));
  const view = async (row: Parameters<typeof toConnection>[0]): Promise<Connection> =>
    toConnection(row, net.stats(row.id), await connectionCounts(db, row.id));
  const pairing = createPairing({ store, events, identity, settings, log, clock, link: () => net, view });
  const invitations = createPendingInvitations({ store, identity, settings, log, clock, link: () => net });
  const onboarding = createOnboarding({
    store,
    events,
    steps,
    link: net,
    log,
    myUrl: () => settings.publicUrl(),
    db,
  });

  const service: ConnectionService = {
    async get(id) {
      const row = await store.byId(id);
      return row ? view(row) : undefined;
    },

    async list() {
      return Promise.all((await store.all()).map(view));
    },

    async page({ limit, cursor }) {
      const { rows, nextCursor } = await store.page(limit, cursor);
      const items = await Promise.all(rows.map(view));
      return nextCursor ? { items, nextCursor } : { items };
    },

    onChange: events.onChange,
    create: pairing.create,
    accept: pairing.accept,
    inspect: pairing.inspect,

    update: (id, patch) =>
      serial(id, async () => {
        const row = await store.mustGet(id);
        const columns: { name?: string; description?: string } = {};
        if (patch.name !== undefined && patch.name !== row.name) {
          await mustBeFree(store, patch.name, id);
          columns.name = patch.name;
        }
        if (patch.description !== undefined) columns.description = patch.description;
        if (Object.keys(columns).length === 0) return view(row);
        await store.update(id, columns);
        log.info({ connectionId: id, renamed: columns.name !== undefined }, 'connection edited');
        return view(await store.mustGet(id));
      }),

    invitation: (id) => invitations.show(id),
    renewInvitation: (id) => serial(id, () => invitations.renew(id)),

    activate: (id) =>
      serial(id, async () => {
        const row = await store.mustGet(id);
        if (row.state === 'active') return view(row);
        const to = nextState(row.state, 'activate');
        if (!to) {
          throw new TandemError(
            'INVALID_STATE',
            409,
            `A connection in state ${row.state} cannot be activated`,
          );
        }
        const next = await events.setState(row, to);
        if (row.state === 'validated') await events.onboarding(next, ONBOARDING.complete);
        net.send(id, { ch: 'pair.state', state: 'active', at: next.state_changed_at });
        return view(next);
      }),

    deactivate: (id) =>
      serial(id, async () => {
        const row = await store.mustGet(id);
        if (row.state === 'deactivated') return view(row);
        const to = nextState(row.state, 'deactivate');
        if (!to) {
          throw new TandemError(
            'INVALID_STATE',
            409,
            `A connection in state ${row.state} cannot be deactivated`,
          );
        }
        const next = await events.setState(row, to);
        net.send(id, { ch: 'pair.state', state: 'deactivated', at: next.state_changed_at });
        return view(next);
      }),

    remove: (id) =>
      serial(id, async () => {
        const row = await store.mustGet(id);
        void net.stopDialing(id);
        await store.revoke(row, true);
        net.send(id, { ch: 'link.revoke' });
        net.disconnect(id, 4403, 'revoked');
        log.info({ connectionId: id }, 'connection deleted');
        events.emit('deleted', id, null);
      }),

    async health(id) {
      const row = await store.mustGet(id);
      return { state: row.state, checks: await onboarding.checks(row) };
    },

    validate: (id) =>
      serial(id, async () => {
        const r = await onboarding.validate(await store.mustGet(id));
        return { state: r.row.state, checks: r.checks };
      }),

    addHealthCheck: onboarding.addHealthCheck,

    async start() {
      for (const row of await store.dialed()) if (dialable(row)) net.keepDialing(dialTarget(row));
    },

    async dial(id) {
      const row = await store.byId(id);
      if (row?.dials && dialable(row)) net.keepDialing(dialTarget(row));
    },
  };

  function dialable(row: ConnectionRow): boolean {
    if (row.state === 'error' || !row.peer_url) return false;
    return !(invitationOpen(row) && row.invitation_expires_at < now());
  }

  return { service, network: net };
}

export type { Connection, ConnectionMode, ConnectionState, Db };
