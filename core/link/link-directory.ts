// What the link network asks the connections layer, and the decisions it gets back and acts on.
import type { JWK } from 'jose';

/** What a peer proved about itself during a handshake. */
export interface PeerInfo {
  nodeId: string;
  jwk: JWK;
  url: string | null;
  name: string;
  protocol: number;
  skewMs: number;
  /** The invitation an acceptor presents on its first dial. */
  invitationId?: string | undefined;
}

export type Decision = { ok: true; connectionId: string } | { ok: false; code: string; message: string };

/** After a failed kept-up dial: dial again (with backoff), or stop until `keepDialing` is called again. */
export type DialFailedDecision = 'redial' | 'stop';

/**
 * How the network asks the connections layer who may link; implemented by the connection service.
 * Each answer is a decision the network acts on: the directory never calls back into the network.
 * @example const directory: LinkDirectory = { authorizeInbound, confirmOutbound, dialFailed: async () => 'redial' };
 */
export interface LinkDirectory {
  /** A dialer proved it holds `peer.jwk`: may it carry link `linkId`? (Pin or consume an invitation here.) */
  authorizeInbound(linkId: string, peer: PeerInfo): Promise<Decision>;
  /** We dialed and the peer proved its key; the last chance to refuse before the link goes up. */
  confirmOutbound(connectionId: string, peer: PeerInfo): Promise<boolean>;
  /** A kept-up dial was refused or failed (`peer_unreachable`, `wrong_key`, the peer's own code). */
  dialFailed(connectionId: string, code: string, message: string): Promise<DialFailedDecision>;
}

export interface DialTarget {
  connectionId: string;
  linkId: string;
  /** The peer's base URL; the link path is appended. */
  url: string;
  peerNodeId: string | null;
  pinnedJwk: JWK | null;
  invitationId?: string | undefined;
}

export type DialOutcome = { ok: true; peer: PeerInfo } | { ok: false; code: string; message: string };
