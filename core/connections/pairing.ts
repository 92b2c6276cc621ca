// Pairing: issuing an invitation code for a new connection, and accepting one from another host.
import { nanoid } from 'nanoid';
import type { ConnectionRow } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { NodeSettings } from '../identity/node-settings.ts';
import {
  type Invitation,
  payloadSegment,
  signInvitation,
  verifyInvitation,
} from '../invitations/invitation-code.ts';
import { isRefusalCode, refusal, refusalError } from '../invitations/refusals.ts';
import type { LinkNetwork } from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import { createRateLimiter } from '../net/rate-limit.ts';
import type { ConnectionEvents } from './connection-events.ts';
import { defaultName, freeName, mustBeFree } from './connection-names.ts';
import type { ConnectionStore } from './connection-store.ts';
import type { Connection, ConnectionMode } from './connection-view.ts';
import { dialTarget } from './pairing-directory.ts';
import { baseUrl, probePeer } from './probe.ts';

export interface CreateConnectionInput {
  destinationUrl: string | null;
  mode: ConnectionMode;
  localName: string;
  remoteName: string;
  /** Omitted: `localName_to_remoteName`, with `_2`, `_3`... when taken; given and taken: 409. */
  name?: string | undefined;
  description?: string | undefined;
  expiresInHours?: number | undefined;
}

/**
 * The two ends of pairing: the inviter creates a connection and its code, the acceptor accepts the code.
 * @example const { invitationCode } = await pairing.create(input); // on the other host: pairing.accept({ code })
 */
export interface Pairing {
  /** A pending connection and its signed code (the peer is probed first when a destination is given). */
  create(input: CreateConnectionInput): Promise<{ connection: Connection; invitationCode: string }>;
  /** Verifies the code and, if the inviter is reachable, dials it: the connection exists only if that worked. */
  accept(input: { code: unknown; publicUrl?: string | null | undefined }): Promise<Connection>;
  /** What a code says, only once it verifies as accept would verify it (a refusal error otherwise). */
  inspect(code: unknown): Promise<Invitation>;
}

export interface PairingDeps {
  store: ConnectionStore;
  events: ConnectionEvents;
  identity: NodeIdentity;
  settings: NodeSettings;
  log: Logger;
  /** The time invitations are issued and verified by. */
  clock: () => Date;
  /** The link network (built after the directory, so asked for when needed). */
  link: () => LinkNetwork;
  view: (row: ConnectionRow) => Promise<Connection>;
}

/** The columns every new connection row starts with. */
function fresh(at: string) {
  return {
    state: 'pending',
    outbound: 'not_onboarded',
    inbound: 'not_onboarded',
    onboarding_message: null,
    onboarding_at: null,
    last_error: null,
    clock_skew_ms: null,
    state_changed_at: at,
    created_at: at,
    updated_at: at,
  } as const;
}

export function createPairing(deps: PairingDeps): Pairing {
  const { store, events, identity, settings, log, clock, link, view } = deps;
  const now = () => clock().toISOString();
  /** Accepts are slow on purpose: a burst of guesses or replays cannot hammer peers or the database. */
  const acceptLimiter = createRateLimiter({ capacity: 30, refillPerSecond: 0.5 });

  /** The code's invitation if this host could accept it now: signature, expiry, binding, not used here. */
  async function verified(code: unknown): Promise<Invitation> {
    const v = await verifyInvitation(code, identity.nodeId, clock());
    if (!v.ok) throw refusalError(v.refusal);
    const inv = v.invitation;
    if ((await store.isRevoked(inv.linkId, inv.id)) || (await store.byLinkOrInvitation(inv.linkId, inv.id)))
      throw refusalError(refusal('INVITATION_USED'));
    return inv;
  }

  return {
    async create(input) {
      const own = settings.publicUrl();
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
      let name: string;
      if (input.name) {
        await mustBeFree(store, input.name);
        name = input.name;
      } else name = await freeName(store, defaultName(input.localName, input.remoteName));
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
          name,
          description: input.description ?? '',
          ...(input.expiresInHours !== undefined ? { expiresInHours: input.expiresInHours } : {}),
        },
        clock(),
      );
      const row: ConnectionRow = {
        ...fresh(now()),
        id,
        link_id: id,
        role: 'inviter',
        name,
        description: input.description ?? '',
        mode: input.mode,
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
        invitation_payload: payloadSegment(code),
        peer_protocol: probe?.protocol ?? null,
      };
      await store.insert(row);
      log.info({ connectionId: id, mode: input.mode, bound: !!probe }, 'connection initiated');
      events.emit('created', id, 'pending');
      if (row.dials) link().keepDialing(dialTarget(row));
      return { connection: await view(row), invitationCode: code };
    },

    inspect: verified,

    async accept(input) {
      if (!acceptLimiter.take('accept')) throw refusalError(refusal('RATE_LIMITED'));
      const inv = await verified(input.code);
      if (input.publicUrl) await settings.update({ publicUrl: baseUrl(input.publicUrl, 'public URL') });
      if (!inv.inviterUrl && !inv.destinationNodeId) throw refusalError(refusal('NO_REACHABLE_SIDE'));
      const at = now();
      const row: ConnectionRow = {
        ...fresh(at),
        id: nanoid(),
        link_id: inv.linkId,
        role: 'acceptor',
        // The inviter's name for the connection, made free here as a default name is.
        name: await freeName(store, inv.name),
        description: inv.description,
        mode: inv.mode,
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
        invitation_payload: null,
        peer_protocol: null,
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
        events.emit('created', row.id, 'pending');
        return view(row);
      }
      const outcome = await link().dialOnce(dialTarget(row, inv.id));
      if (!outcome.ok) {
        // Nothing changed: the local row goes, the code stays usable if the inviter never saw it.
        await store.forget(row.id);
        const upper = outcome.code.toUpperCase();
        if (outcome.code === 'wrong_key') throw refusalError(refusal('INVITER_KEY_MISMATCH'));
        if (isRefusalCode(upper)) throw refusalError(refusal(upper, outcome.message));
        throw refusalError(refusal('PEER_UNREACHABLE', outcome.message));
      }
      log.info({ connectionId: row.id }, 'invitation accepted; link up');
      events.emit('created', row.id, 'awaiting_validation');
      const linked = await store.mustGet(row.id);
      link().keepDialing(dialTarget(linked));
      return view(linked);
    },
  };
}
