// The `connection` JSON of the admin API, built from a row, its live link status and its counts.
import type { ConnectionRow, ConnectionTable } from '../../storage/schema.ts';
import { fingerprintOf } from '../identity/node-identity.ts';
import type { LinkStats } from '../link/link-network.ts';
import type { ConnectionCounts } from './counts.ts';

export type ConnectionState = ConnectionTable['state'];
export type LinkStatus = ConnectionTable['outbound'];
export type ConnectionMode = ConnectionTable['mode'];

/** Above this heartbeat round trip a live link shows as `slow`. */
export const SLOW_RTT_MS = 1000;

export const ONBOARDING = {
  started: 'Provider onboarding started',
  syncing: 'Syncing settings to complete onboarding',
  complete: 'Onboarding complete',
} as const;

export interface Connection {
  id: string;
  name: string;
  description: string;
  mode: ConnectionMode;
  state: ConnectionState;
  outbound: LinkStatus;
  inbound: LinkStatus;
  localName: string;
  remoteName: string;
  role: 'inviter' | 'acceptor';
  peer: { nodeId: string | null; url: string | null; name: string | null; fingerprint: string | null };
  link: { up: boolean; since: string | null; rttMs: number | null; dials: boolean };
  onboarding: { message: string; at: string } | null;
  lastError: string | null;
  invitation: { id: string; expiresAt: string; usedAt: string | null };
  createdAt: string;
  updatedAt: string;
  counts: ConnectionCounts;
}

/** Outbound/inbound as users see them: not onboarded until paired, then the live link's health. */
export function linkStatus(
  row: Pick<ConnectionRow, 'peer_public_jwk' | 'state'>,
  stats: LinkStats,
): LinkStatus {
  if (!row.peer_public_jwk || row.state === 'pending') return 'not_onboarded';
  if (!stats.up) return 'down';
  return stats.rttMs !== null && stats.rttMs > SLOW_RTT_MS ? 'slow' : 'up';
}

/**
 * The sync directions as the API shows them: null while deactivated (nothing is sent or applied in
 * either direction, whatever the socket does; `link.up` still says whether it is up), else `linkStatus`.
 */
export function directionStatus(
  row: Pick<ConnectionRow, 'peer_public_jwk' | 'state'>,
  stats: LinkStats,
): LinkStatus {
  return row.state === 'deactivated' ? null : linkStatus(row, stats);
}

export function toConnection(row: ConnectionRow, stats: LinkStats, counts: ConnectionCounts): Connection {
  const status = directionStatus(row, stats);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    mode: row.mode,
    state: row.state,
    outbound: status,
    inbound: status,
    localName: row.local_name,
    remoteName: row.remote_name,
    role: row.role,
    peer: {
      nodeId: row.peer_node_id,
      url: row.peer_url,
      name: row.peer_name,
      fingerprint: row.peer_node_id ? fingerprintOf(row.peer_node_id) : null,
    },
    link: { up: stats.up, since: stats.since, rttMs: stats.rttMs, dials: row.dials === 1 },
    onboarding:
      row.onboarding_message && row.onboarding_at
        ? { message: row.onboarding_message, at: row.onboarding_at }
        : null,
    lastError: row.last_error,
    invitation: {
      id: row.invitation_id,
      expiresAt: row.invitation_expires_at,
      usedAt: row.invitation_used_at,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    counts,
  };
}
