// The link directory of the connections: who may link, key pinning, consuming an invitation, failed dials.
import type { JWK } from 'jose';
import type { ConnectionRow } from '../../storage/schema.ts';
import { refusal } from '../invitations/refusals.ts';
import type {
  Decision,
  DialFailedDecision,
  DialTarget,
  LinkDirectory,
  PeerInfo,
} from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import type { SerialQueue } from '../util/serial-queue.ts';
import type { ConnectionEvents } from './connection-events.ts';
import type { ConnectionStore } from './connection-store.ts';
import { nextState } from './lifecycle.ts';

export interface PairingDirectoryDeps {
  store: ConnectionStore;
  events: ConnectionEvents;
  /** The lifecycle steps of each connection, one at a time. */
  steps: SerialQueue;
  now: () => string;
  log: Logger;
}

/** Where and how to dial the connection's peer (with the invitation on an acceptor's first dial). */
export function dialTarget(row: ConnectionRow, invitationId?: string): DialTarget {
  return {
    connectionId: row.id,
    linkId: row.link_id,
    url: row.peer_url ?? '',
    peerNodeId: row.peer_node_id,
    pinnedJwk: row.peer_public_jwk ? (JSON.parse(row.peer_public_jwk) as JWK) : null,
    invitationId,
  };
}

/** An inviter whose code nobody has used yet. */
export function invitationOpen(row: ConnectionRow): boolean {
  return row.role === 'inviter' && row.invitation_used_at === null;
}

const peerColumns = (peer: PeerInfo, row: ConnectionRow) => ({
  peer_url: peer.url ?? row.peer_url,
  peer_name: peer.name || row.peer_name,
  clock_skew_ms: peer.skewMs,
  peer_protocol: peer.protocol,
  last_error: null,
});

/**
 * The `LinkDirectory` the link network asks; an inviter's code is consumed here, once, by the first
 * peer that presents it (inbound) or that it was bound to (outbound, a private inviter).
 * @example createConnectionService(services, (directory) => createLinkNetwork({ directory, ... }));
 */
export function createPairingDirectory(deps: PairingDirectoryDeps): LinkDirectory {
  const { store, events, steps, now, log } = deps;

  /** Pins the peer and moves the connection on as the lifecycle says a link does. */
  async function linked(row: ConnectionRow, columns: Partial<ConnectionRow>): Promise<void> {
    const state = nextState(row.state, 'linked') ?? row.state;
    await store.update(row.id, { ...columns, state });
    if (state !== row.state) events.emit('state', row.id, state);
  }

  /** Consumes the row's invitation for `peer` (pins its key); false if another consumed it first. */
  async function consume(row: ConnectionRow, peer: PeerInfo, columns: Partial<ConnectionRow>) {
    const at = now();
    const state = nextState(row.state, 'linked') ?? row.state;
    const consumed = await store.consume(row.id, {
      ...columns,
      peer_node_id: peer.nodeId,
      peer_public_jwk: JSON.stringify(peer.jwk),
      invitation_used_at: at,
      state,
      ...(state !== row.state ? { state_changed_at: at } : {}),
      updated_at: at,
    });
    if (consumed && state !== row.state) events.emit('state', row.id, state);
    return consumed;
  }

  async function consumeInvitation(row: ConnectionRow, peer: PeerInfo): Promise<Decision> {
    if (!peer.invitationId) {
      return { ok: false, code: 'invalid_invitation', message: refusal('INVALID_INVITATION').message };
    }
    // Only this host signs codes for this link: another code of it is one a new code replaced.
    if (peer.invitationId !== row.invitation_id) {
      return { ok: false, code: 'invitation_replaced', message: refusal('INVITATION_REPLACED').message };
    }
    if (row.invitation_expires_at < now()) {
      return { ok: false, code: 'invitation_expired', message: refusal('INVITATION_EXPIRED').message };
    }
    if (row.peer_node_id && row.peer_node_id !== peer.nodeId) {
      return { ok: false, code: 'invitation_wrong_node', message: refusal('INVITATION_WRONG_NODE').message };
    }
    if (!(await consume(row, peer, peerColumns(peer, row)))) {
      return { ok: false, code: 'invitation_used', message: refusal('INVITATION_USED').message };
    }
    log.info({ connectionId: row.id, peer: peer.nodeId }, 'invitation accepted by peer');
    return { ok: true, connectionId: row.id };
  }

  return {
    async authorizeInbound(linkId, peer): Promise<Decision> {
      if (await store.isRevoked(linkId))
        return { ok: false, code: 'revoked', message: 'This connection was removed' };
      const row = await store.byLink(linkId);
      if (!row) {
        return peer.invitationId
          ? { ok: false, code: 'invalid_invitation', message: 'No such invitation on this host' }
          : { ok: false, code: 'unknown_link', message: 'No such connection on this host' };
      }
      if (invitationOpen(row)) return consumeInvitation(row, peer);
      if (peer.invitationId) {
        return { ok: false, code: 'invitation_used', message: refusal('INVITATION_USED').message };
      }
      const pinned = row.peer_public_jwk ? (JSON.parse(row.peer_public_jwk) as JWK) : null;
      if (!pinned || pinned.x !== peer.jwk.x || row.peer_node_id !== peer.nodeId) {
        return { ok: false, code: 'wrong_key', message: 'This key is not the one pinned for the connection' };
      }
      await linked(row, peerColumns(peer, row));
      return { ok: true, connectionId: row.id };
    },

    async confirmOutbound(connectionId, peer) {
      const row = await store.byId(connectionId);
      if (!row) return false;
      const columns = { ...peerColumns(peer, row), peer_url: row.peer_url };
      // A private inviter dials the acceptor it bound the code to: the code is consumed now.
      if (invitationOpen(row)) return consume(row, peer, columns);
      await linked(row, columns);
      return true;
    },

    /** Records why the dial failed; a removed connection or an expired invitation stops the dialing. */
    dialFailed: (connectionId, code, message) =>
      steps.run(connectionId, async (): Promise<DialFailedDecision> => {
        const row = await store.byId(connectionId);
        if (!row) return 'stop';
        if (code === 'revoked') {
          await events.setState(row, nextState(row.state, 'revoked') ?? row.state, {
            last_error: 'The peer removed this connection',
          });
          return 'stop';
        }
        if (invitationOpen(row) && row.invitation_expires_at < now()) {
          await store.update(row.id, { last_error: 'The invitation expired before it was accepted' });
          return 'stop';
        }
        if (row.last_error !== message) await store.update(row.id, { last_error: message });
        return 'redial';
      }),
  };
}
