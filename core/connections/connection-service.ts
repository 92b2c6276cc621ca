// Connections: initiate, accept, pin, the lifecycle state machine and onboarding, over the link network.
import { EventEmitter } from 'node:events';
import type { JWK } from 'jose';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import type { ConnectionRow, Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import { createRateLimiter } from '../http/rate-limit.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { NodeSettings } from '../identity/node-settings.ts';
import { signInvitation, verifyInvitation } from '../invitations/invitation-code.ts';
import { isRefusalCode, refusal, refusalError } from '../invitations/refusals.ts';
import type { LinkFrame } from '../link/link-hub.ts';
import type {
  Decision,
  DialFailedDecision,
  DialTarget,
  LinkDirectory,
  LinkNetwork,
  PeerInfo,
} from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import { createSerialQueue } from '../util/serial-queue.ts';
import { PROTOCOL_VERSION } from '../version.ts';
import { createConnectionStore } from './connection-store.ts';
import {
  type Connection,
  type ConnectionMode,
  type ConnectionState,
  linkStatus,
  ONBOARDING,
  toConnection,
} from './connection-view.ts';
import { connectionCounts } from './counts.ts';
import { type HealthCheck, runHealthChecks } from './health-checks.ts';
import { isPairing, nextState } from './lifecycle.ts';
import { baseUrl, probePeer } from './probe.ts';

export interface CreateConnectionInput {
  destinationUrl: string | null;
  mode: ConnectionMode;
  localName: string;
  remoteName: string;
  name: string;
  description?: string | undefined;
  expiresInHours?: number | undefined;
}

export interface HealthReport {
  state: ConnectionState;
  checks: HealthCheck[];
}

/** What listeners hear: a connection appeared, changed state or link status, or was deleted. */
export interface ConnectionEvent {
  type: 'created' | 'state' | 'status' | 'deleted';
  id: string;
  state: ConnectionState | null;
  linkUp: boolean;
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
  create(input: CreateConnectionInput): Promise<{ connection: Connection; invitationCode: string }>;
  accept(input: { code: unknown; publicUrl?: string | null | undefined }): Promise<Connection>;
  activate(id: string): Promise<Connection>;
  deactivate(id: string): Promise<Connection>;
  remove(id: string): Promise<void>;
  health(id: string): Promise<HealthReport>;
  validate(id: string): Promise<HealthReport>;
  /**
   * Adds a check to every health report and validation (e.g. the rules module: "rules compile").
   * @example connections.addHealthCheck(async (c) => ({ name: 'rules_compile', ok: true, detail: 'Rules compile' }));
   */
  addHealthCheck(check: (connection: { id: string; mode: ConnectionMode }) => Promise<HealthCheck>): void;
  /** Starts dialing every connection this side dials. */
  start(): Promise<void>;
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
  const events = new EventEmitter();
  events.setMaxListeners(0);
  /** Per live link: the peer sent its onboarding settings / acknowledged ours. Reset when the link drops. */
  const peerOnboarded = new Set<string>();
  const peerAcked = new Set<string>();
  /** Accepts are slow on purpose: a burst of guesses or replays cannot hammer peers or the database. */
  const acceptLimiter = createRateLimiter({ capacity: 30, refillPerSecond: 0.5 });

  /** Runs lifecycle steps of one connection one at a time. */
  const steps = createSerialQueue();
  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => steps.run(id, fn);

  const store = createConnectionStore(db, now);
  const rowById = store.byId;
  const rowByLink = store.byLink;
  const mustRow = store.mustGet;

  function emit(type: ConnectionEvent['type'], id: string, state: ConnectionState | null) {
    const event: ConnectionEvent = { type, id, state, linkUp: net.isUp(id) };
    for (const l of events.listeners('change') as Array<(e: ConnectionEvent) => void>) {
      try {
        l(event);
      } catch (err) {
        log.error({ err, connectionId: id }, 'connection listener failed');
      }
    }
  }

  async function view(row: ConnectionRow): Promise<Connection> {
    return toConnection(row, net.stats(row.id), await connectionCounts(db, row.id));
  }

  const update = store.update;

  async function setState(
    row: ConnectionRow,
    state: ConnectionState,
    extra: Partial<ConnectionRow> = {},
  ): Promise<ConnectionRow> {
    const at = extra.state_changed_at ?? now();
    await update(row.id, { ...extra, state, state_changed_at: at });
    const next = { ...row, ...extra, state, state_changed_at: at };
    if (row.state !== state) {
      log.info({ connectionId: row.id, from: row.state, to: state }, 'connection state changed');
      emit('state', row.id, state);
    }
    return next;
  }

  async function onboarding(row: ConnectionRow, message: string): Promise<void> {
    if (row.onboarding_message === message) return;
    row.onboarding_message = message;
    row.onboarding_at = now();
    await update(row.id, { onboarding_message: message, onboarding_at: row.onboarding_at });
  }

  function targetOf(row: ConnectionRow, invitationId?: string): DialTarget {
    return {
      connectionId: row.id,
      linkId: row.link_id,
      url: row.peer_url ?? '',
      peerNodeId: row.peer_node_id,
      pinnedJwk: row.peer_public_jwk ? (JSON.parse(row.peer_public_jwk) as JWK) : null,
      invitationId,
    };
  }

  function myUrl(): string | null {
    return settings.publicUrl();
  }

  function sendFrame(id: string, frame: LinkFrame): boolean {
    return net.send(id, frame);
  }

  // ---- link directory: who may link, pinning, consuming invitations ----

  const peerColumns = (peer: PeerInfo, row: ConnectionRow) => ({
    peer_url: peer.url ?? row.peer_url,
    peer_name: peer.name || row.peer_name,
    clock_skew_ms: peer.skewMs,
    peer_protocol: peer.protocol,
    last_error: null,
  });

  const directory: LinkDirectory = {
    async authorizeInbound(linkId, peer): Promise<Decision> {
      if (await store.isRevoked(linkId))
        return { ok: false, code: 'revoked', message: 'This connection was removed' };
      const row = await rowByLink(linkId);
      if (!row) {
        return peer.invitationId
          ? { ok: false, code: 'invalid_invitation', message: 'No such invitation on this host' }
          : { ok: false, code: 'unknown_link', message: 'No such connection on this host' };
      }
      if (row.role === 'inviter' && row.invitation_used_at === null) return consumeInvitation(row, peer);
      if (peer.invitationId) {
        return { ok: false, code: 'invitation_used', message: refusal('INVITATION_USED').message };
      }
      const pinned = row.peer_public_jwk ? (JSON.parse(row.peer_public_jwk) as JWK) : null;
      if (!pinned || pinned.x !== peer.jwk.x || row.peer_node_id !== peer.nodeId) {
        return { ok: false, code: 'wrong_key', message: 'This key is not the one pinned for the connection' };
      }
      const state = nextState(row.state, 'linked') ?? row.state;
      await update(row.id, { ...peerColumns(peer, row), state });
      if (state !== row.state) emit('state', row.id, state);
      return { ok: true, connectionId: row.id };
    },

    async confirmOutbound(connectionId, peer) {
      const row = await rowById(connectionId);
      if (!row) return false;
      if (row.role === 'inviter' && row.invitation_used_at === null) {
        // A private inviter dials the acceptor it bound the code to: the code is consumed now.
        const consumed = await store.consume(row.id, {
          ...peerColumns(peer, row),
          peer_url: row.peer_url,
          peer_node_id: peer.nodeId,
          peer_public_jwk: JSON.stringify(peer.jwk),
          invitation_used_at: now(),
          state: 'awaiting_validation',
          state_changed_at: now(),
          updated_at: now(),
        });
        if (!consumed) return false;
        emit('state', row.id, 'awaiting_validation');
        return true;
      }
      const state = nextState(row.state, 'linked') ?? row.state;
      await update(row.id, { ...peerColumns(peer, row), peer_url: row.peer_url, state });
      if (state !== row.state) emit('state', row.id, state);
      return true;
    },

    /** Records why the dial failed; a removed connection or an expired invitation stops the dialing. */
    dialFailed: (connectionId, code, message) =>
      serial(connectionId, async (): Promise<DialFailedDecision> => {
        const row = await rowById(connectionId);
        if (!row) return 'stop';
        if (code === 'revoked') {
          await setState(row, nextState(row.state, 'revoked') ?? row.state, {
            last_error: 'The peer removed this connection',
          });
          return 'stop';
        }
        if (row.role === 'inviter' && row.invitation_used_at === null && row.invitation_expires_at < now()) {
          await update(row.id, { last_error: 'The invitation expired before it was accepted' });
          return 'stop';
        }
        if (row.last_error !== message) await update(row.id, { last_error: message });
        return 'redial';
      }),
  };

  async function consumeInvitation(row: ConnectionRow, peer: PeerInfo): Promise<Decision> {
    if (peer.invitationId !== row.invitation_id) {
      return { ok: false, code: 'invalid_invitation', message: refusal('INVALID_INVITATION').message };
    }
    if (row.invitation_expires_at < now()) {
      return { ok: false, code: 'invitation_expired', message: refusal('INVITATION_EXPIRED').message };
    }
    if (row.peer_node_id && row.peer_node_id !== peer.nodeId) {
      return { ok: false, code: 'invitation_wrong_node', message: refusal('INVITATION_WRONG_NODE').message };
    }
    const at = now();
    const consumed = await store.consume(row.id, {
      ...peerColumns(peer, row),
      peer_node_id: peer.nodeId,
      peer_public_jwk: JSON.stringify(peer.jwk),
      invitation_used_at: at,
      state: 'awaiting_validation',
      state_changed_at: at,
      updated_at: at,
    });
    if (!consumed) {
      return { ok: false, code: 'invitation_used', message: refusal('INVITATION_USED').message };
    }
    log.info({ connectionId: row.id, peer: peer.nodeId }, 'invitation accepted by peer');
    emit('state', row.id, 'awaiting_validation');
    return { ok: true, connectionId: row.id };
  }

  const net = network(directory);

  // ---- lifecycle over the link ----

  const extraChecks: Array<(connection: { id: string; mode: ConnectionMode }) => Promise<HealthCheck>> = [];

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
      const next = await setState(row, nextState(row.state, 'checks_failed') ?? row.state, {
        last_error: failed.map((c) => c.detail).join('; '),
      });
      return { row: next, checks: results };
    }
    const passed = nextState(row.state, 'checks_passed') ?? row.state;
    let next = row.state === passed ? row : await setState(row, passed, { last_error: null });
    await onboarding(next, ONBOARDING.started);
    if (net.isUp(row.id)) {
      sendFrame(row.id, { ch: 'pair.onboard', mode: row.mode, protocol: PROTOCOL_VERSION, name: row.name });
    }
    next = await maybeComplete(next);
    return { row: next, checks: results };
  }

  async function maybeComplete(row: ConnectionRow): Promise<ConnectionRow> {
    const to = nextState(row.state, 'onboarded');
    if (!to || !peerOnboarded.has(row.id) || !peerAcked.has(row.id)) return row;
    const next = await setState(row, to);
    await onboarding(next, ONBOARDING.complete);
    sendFrame(row.id, { ch: 'pair.state', state: 'active', at: next.state_changed_at });
    return next;
  }

  async function onLinkUp(id: string) {
    const row = await rowById(id);
    if (!row) return;
    emit('status', id, row.state);
    if (isPairing(row.state)) {
      await validateRow(row);
    } else if (row.state === 'active' || row.state === 'deactivated') {
      sendFrame(id, { ch: 'pair.state', state: row.state, at: row.state_changed_at });
    } else if (row.state === 'error' && row.last_error === 'The peer removed this connection') {
      net.disconnect(id, 4403, 'revoked');
    }
  }

  /** Keeps the outbound/inbound columns in step with the live link, for readers of the table. */
  async function recordStatus(id: string): Promise<ConnectionRow | undefined> {
    const row = await rowById(id);
    if (!row) return undefined;
    const status = linkStatus(row, net.stats(id));
    if (row.outbound !== status || row.inbound !== status) {
      await update(id, { outbound: status, inbound: status });
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
      else emit('status', id, row.state);
    }).catch((err: unknown) => log.error({ err, connectionId: id }, 'link status handling failed'));
  });

  net.handle('pair.onboard', (id, raw) =>
    serial(id, async () => {
      const row = await rowById(id);
      const parsed = onboardFrame.safeParse(raw);
      if (!row || !parsed.success) return;
      const frame = parsed.data;
      if (frame.mode !== row.mode) {
        await setState(row, nextState(row.state, 'mode_mismatch') ?? row.state, {
          last_error: `The peer has this connection in ${String(frame.mode)} mode, this host in ${row.mode}`,
        });
        return;
      }
      peerOnboarded.add(id);
      sendFrame(id, { ch: 'pair.onboarded' });
      if (isPairing(row.state)) {
        await onboarding(row, ONBOARDING.syncing);
        await maybeComplete(row);
      }
    }),
  );

  net.handle('pair.onboarded', (id) =>
    serial(id, async () => {
      peerAcked.add(id);
      const row = await rowById(id);
      if (row) await maybeComplete(row);
    }),
  );

  net.handle('pair.state', (id, raw) =>
    serial(id, async () => {
      const row = await rowById(id);
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
      if (to && at > row.state_changed_at) await setState(row, to, { state_changed_at: at });
    }),
  );

  net.handle('link.revoke', (id) =>
    serial(id, async () => {
      const row = await rowById(id);
      if (!row) return;
      net.stopDialing(id);
      await store.revoke(row, false);
      await setState(row, nextState(row.state, 'revoked') ?? row.state, {
        last_error: 'The peer removed this connection',
      });
      net.disconnect(id, 4403, 'revoked');
    }),
  );

  // ---- the service ----

  const service: ConnectionService = {
    async get(id) {
      const row = await rowById(id);
      return row ? view(row) : undefined;
    },

    async list() {
      const rows = await store.all();
      return Promise.all(rows.map(view));
    },

    async page({ limit, cursor }) {
      const { rows, nextCursor } = await store.page(limit, cursor);
      const items = await Promise.all(rows.map(view));
      return nextCursor ? { items, nextCursor } : { items };
    },

    onChange(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },

    async create(input) {
      const own = myUrl();
      const destination = input.destinationUrl ? baseUrl(input.destinationUrl) : null;
      if (!destination && !own) {
        throw refusalError(
          refusal(
            'NO_REACHABLE_SIDE',
            'This host has no public URL and no destination URL was given: set one of them so the hosts can link',
          ),
        );
      }
      const probe = destination ? await probePeer(destination) : null;
      if (probe?.nodeId === identity.nodeId) {
        throw new TandemError('DESTINATION_IS_SELF', 422, 'The destination URL points at this host');
      }
      if (probe && !probe.modes.includes(input.mode)) {
        throw new TandemError('MODE_NOT_OFFERED', 422, `The destination does not offer ${input.mode} mode`, {
          modes: probe.modes,
        });
      }
      const id = nanoid();
      const { code, invitation } = await signInvitation(
        identity,
        {
          linkId: id,
          inviterName: settings.name(),
          inviterUrl: own,
          destinationNodeId: probe?.nodeId ?? null,
          mode: input.mode,
          localName: input.localName,
          remoteName: input.remoteName,
          name: input.name,
          description: input.description ?? '',
          ...(input.expiresInHours !== undefined ? { expiresInHours: input.expiresInHours } : {}),
        },
        clock(),
      );
      const at = now();
      const row: ConnectionRow = {
        id,
        link_id: id,
        role: 'inviter',
        name: input.name,
        description: input.description ?? '',
        mode: input.mode,
        state: 'pending',
        outbound: 'not_onboarded',
        inbound: 'not_onboarded',
        local_name: input.localName,
        remote_name: input.remoteName,
        peer_node_id: probe?.nodeId ?? null,
        peer_url: destination,
        peer_name: probe?.name ?? null,
        peer_public_jwk: null,
        // A public inviter waits to be dialed; a private one dials the destination it was given.
        dials: own ? 0 : 1,
        invitation_id: invitation.id,
        invitation_expires_at: invitation.expiresAt,
        invitation_used_at: null,
        onboarding_message: null,
        onboarding_at: null,
        last_error: null,
        clock_skew_ms: null,
        peer_protocol: probe?.protocol ?? null,
        state_changed_at: at,
        created_at: at,
        updated_at: at,
      };
      await store.insert(row);
      log.info({ connectionId: id, mode: input.mode, bound: !!probe }, 'connection initiated');
      emit('created', id, 'pending');
      if (row.dials) net.keepDialing(targetOf(row));
      return { connection: await view(row), invitationCode: code };
    },

    async accept(input) {
      if (!acceptLimiter.take('accept')) throw refusalError(refusal('RATE_LIMITED'));
      const verified = await verifyInvitation(input.code, identity.nodeId, clock());
      if (!verified.ok) throw refusalError(verified.refusal);
      const inv = verified.invitation;
      const revoked = await store.isRevoked(inv.linkId, inv.id);
      if (revoked) throw refusalError(refusal('INVITATION_USED'));
      if (input.publicUrl) await settings.update({ publicUrl: baseUrl(input.publicUrl, 'public URL') });
      if (!inv.inviterUrl && !inv.destinationNodeId) throw refusalError(refusal('NO_REACHABLE_SIDE'));
      const at = now();
      const row: ConnectionRow = {
        id: nanoid(),
        link_id: inv.linkId,
        role: 'acceptor',
        name: inv.name,
        description: inv.description,
        mode: inv.mode,
        state: 'pending',
        outbound: 'not_onboarded',
        inbound: 'not_onboarded',
        local_name: inv.remoteName,
        remote_name: inv.localName,
        peer_node_id: inv.inviterNodeId,
        peer_url: inv.inviterUrl,
        peer_name: inv.inviterName,
        peer_public_jwk: JSON.stringify(inv.inviterPublicJwk),
        dials: inv.inviterUrl ? 1 : 0,
        invitation_id: inv.id,
        invitation_expires_at: inv.expiresAt,
        invitation_used_at: at,
        onboarding_message: null,
        onboarding_at: null,
        last_error: null,
        clock_skew_ms: null,
        peer_protocol: null,
        state_changed_at: at,
        created_at: at,
        updated_at: at,
      };
      // The unique invitation and link ids make this the atomic consumption on this host.
      try {
        await store.insert(row);
      } catch (err) {
        if (/UNIQUE|unique/.test(String((err as Error).message)))
          throw refusalError(refusal('INVITATION_USED'));
        throw err;
      }
      if (!row.dials) {
        log.info({ connectionId: row.id }, 'invitation accepted; waiting for the inviter to dial');
        emit('created', row.id, 'pending');
        return view(row);
      }
      const outcome = await net.dialOnce(targetOf(row, inv.id));
      if (!outcome.ok) {
        // Nothing changed: the local row goes, the code stays usable if the inviter never saw it.
        await store.forget(row.id);
        const upper = outcome.code.toUpperCase();
        if (outcome.code === 'wrong_key') throw refusalError(refusal('INVITER_KEY_MISMATCH'));
        if (isRefusalCode(upper)) throw refusalError(refusal(upper, outcome.message));
        throw refusalError(refusal('PEER_UNREACHABLE', outcome.message));
      }
      log.info({ connectionId: row.id }, 'invitation accepted; link up');
      emit('created', row.id, 'awaiting_validation');
      const fresh = await mustRow(row.id);
      net.keepDialing(targetOf(fresh));
      return view(fresh);
    },

    activate: (id) =>
      serial(id, async () => {
        const row = await mustRow(id);
        if (row.state === 'active') return view(row);
        const to = nextState(row.state, 'activate');
        if (!to) {
          throw new TandemError(
            'INVALID_STATE',
            409,
            `A connection in state ${row.state} cannot be activated`,
          );
        }
        const next = await setState(row, to);
        if (row.state === 'validated') await onboarding(next, ONBOARDING.complete);
        sendFrame(id, { ch: 'pair.state', state: 'active', at: next.state_changed_at });
        return view(next);
      }),

    deactivate: (id) =>
      serial(id, async () => {
        const row = await mustRow(id);
        if (row.state === 'deactivated') return view(row);
        const to = nextState(row.state, 'deactivate');
        if (!to) {
          throw new TandemError(
            'INVALID_STATE',
            409,
            `A connection in state ${row.state} cannot be deactivated`,
          );
        }
        const next = await setState(row, to);
        sendFrame(id, { ch: 'pair.state', state: 'deactivated', at: next.state_changed_at });
        return view(next);
      }),

    remove: (id) =>
      serial(id, async () => {
        const row = await mustRow(id);
        net.stopDialing(id);
        await store.revoke(row, true);
        sendFrame(id, { ch: 'link.revoke' });
        net.disconnect(id, 4403, 'revoked');
        log.info({ connectionId: id }, 'connection deleted');
        emit('deleted', id, null);
      }),

    async health(id) {
      const row = await mustRow(id);
      return { state: row.state, checks: await checks(row) };
    },

    validate: (id) =>
      serial(id, async () => {
        const row = await mustRow(id);
        const r = await validateRow(row);
        return { state: r.row.state, checks: r.checks };
      }),

    addHealthCheck(check) {
      extraChecks.push(check);
    },

    async start() {
      const rows = await store.dialed();
      for (const row of rows) {
        if (row.state === 'error' || !row.peer_url) continue;
        if (row.role === 'inviter' && row.invitation_used_at === null && row.invitation_expires_at < now())
          continue;
        net.keepDialing(targetOf(row));
      }
    },
  };

  return { service, network: net };
}

export type { Connection, ConnectionMode, ConnectionState, Db };
