// A pending connection's invitation: shown again (re-signed, nothing secret stored) or replaced by a new code.
import { nanoid } from 'nanoid';
import type { ConnectionRow } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { NodeSettings } from '../identity/node-settings.ts';
import {
  codeFingerprint,
  lifetimeHours,
  payloadSegment,
  resignInvitation,
  signInvitation,
} from '../invitations/invitation-code.ts';
import type { LinkNetwork } from '../link/link-network.ts';
import type { Logger } from '../log.ts';
import type { ConnectionStore } from './connection-store.ts';
import { dialTarget, invitationOpen } from './pairing-directory.ts';

/** The code of a pending invitation; `code` is a bearer secret, `fingerprint` is safe to log and read out. */
export interface PendingInvitation {
  code: string;
  fingerprint: string;
  id: string;
  expiresAt: string;
  expired: boolean;
}

/**
 * Shows and replaces the code of a pending connection (an inviter's whose code nobody used yet).
 * @example const { code } = await invitations.show(id); const fresh = await invitations.renew(id); // code stops working
 */
export interface PendingInvitations {
  /** The code as it was issued (409 `connection_not_pending` otherwise). */
  show(id: string): Promise<PendingInvitation>;
  /** A new code with the first one's lifetime from now; the old one is refused with `invitation_replaced`. */
  renew(id: string): Promise<PendingInvitation>;
}

export interface PendingInvitationDeps {
  store: ConnectionStore;
  identity: NodeIdentity;
  settings: NodeSettings;
  log: Logger;
  clock: () => Date;
  link: () => LinkNetwork;
}

function notPending(row: ConnectionRow): TandemError {
  return new TandemError(
    'CONNECTION_NOT_PENDING',
    409,
    row.role === 'acceptor'
      ? 'This host accepted the invitation: only the inviting host has its code'
      : `The invitation was already used (the connection is ${row.state})`,
    { state: row.state },
  );
}

export function createPendingInvitations(deps: PendingInvitationDeps): PendingInvitations {
  const { store, identity, settings, log, clock, link } = deps;

  const pending = async (id: string): Promise<ConnectionRow> => {
    const row = await store.mustGet(id);
    if (!invitationOpen(row) || row.state !== 'pending') throw notPending(row);
    return row;
  };
  const answer = (row: ConnectionRow, code: string): PendingInvitation => ({
    code,
    fingerprint: codeFingerprint(code),
    id: row.invitation_id,
    expiresAt: row.invitation_expires_at,
    expired: row.invitation_expires_at < clock().toISOString(),
  });

  return {
    async show(id) {
      const row = await pending(id);
      if (!row.invitation_payload) {
        throw new TandemError(
          'INVITATION_NOT_SHOWABLE',
          409,
          'This invitation was made before codes could be shown again: make a new code',
        );
      }
      return answer(row, await resignInvitation(identity, row.invitation_payload));
    },

    async renew(id) {
      const row = await pending(id);
      const hours = (row.invitation_payload && lifetimeHours(row.invitation_payload)) || undefined;
      const own = settings.publicUrl();
      // A private inviter dials the acceptor, which pairs by link id alone: a new link id is what
      // keeps an acceptor of the old code from linking. A public inviter checks the code's id itself.
      const linkId = row.dials ? nanoid() : row.link_id;
      const { code, invitation } = await signInvitation(
        identity,
        {
          linkId,
          inviterName: settings.name(),
          inviterUrl: own,
          destinationNodeId: row.peer_node_id,
          mode: row.mode,
          localName: row.local_name,
          remoteName: row.remote_name,
          name: row.name,
          description: row.description,
          ...(hours ? { expiresInHours: hours } : {}),
        },
        clock(),
      );
      const patch = {
        link_id: linkId,
        invitation_id: invitation.id,
        invitation_expires_at: invitation.expiresAt,
        invitation_payload: payloadSegment(code),
        last_error: null,
      };
      // A dial of the old link still under way could pair an acceptor of the old code after the
      // new code is out: it is let finish first, so it either consumed the code (and wins) or failed.
      if (row.dials) await link().stopDialing(id);
      // Conditional on the code still being unused: a peer that consumed it meanwhile wins.
      if (!(await store.whileOpen(id, patch))) {
        const current = await store.mustGet(id);
        if (row.dials) link().keepDialing(dialTarget(current));
        throw notPending(current);
      }
      const next = { ...row, ...patch };
      log.info(
        { connectionId: id, fingerprint: codeFingerprint(code), expiresAt: invitation.expiresAt },
        'invitation replaced by a new code',
      );
      // A private inviter dials the new link (and again, if it stopped when the old code expired).
      if (next.dials) link().keepDialing(dialTarget(next));
      return answer(next, code);
    },
  };
}
