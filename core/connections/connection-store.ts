// The connections table and the link revocations: every query the connection service makes.
import type { ConnectionRow, Db } from '../../storage/schema.ts';
import { TandemError } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../trackers/builtin/cursor.ts';

/**
 * Rows of connections, by id or link, and the links this host will never carry again.
 * @example const store = createConnectionStore(db, now); const row = await store.mustGet(id);
 */
export interface ConnectionStore {
  byId(id: string): Promise<ConnectionRow | undefined>;
  byLink(linkId: string): Promise<ConnectionRow | undefined>;
  /** The row, or NOT_FOUND (404). */
  mustGet(id: string): Promise<ConnectionRow>;
  /** Newest first. */
  all(): Promise<ConnectionRow[]>;
  /** One page, newest first, with the cursor of the next if there is one (INVALID_CURSOR on a bad one). */
  page(limit: number, cursor?: string): Promise<{ rows: ConnectionRow[]; nextCursor?: string }>;
  /** The rows this side dials. */
  dialed(): Promise<ConnectionRow[]>;
  insert(row: ConnectionRow): Promise<void>;
  /** Sets columns and `updated_at`. */
  update(id: string, patch: Partial<ConnectionRow>): Promise<void>;
  /** Sets columns only while the invitation is unused: true if this call consumed it. */
  consume(id: string, patch: Partial<ConnectionRow>): Promise<boolean>;
  /** Sets columns only while the row is a pending inviter's with its code unused: true if it did. */
  whileOpen(id: string, patch: Partial<ConnectionRow>): Promise<boolean>;
  /** The names in use that are `base` or start with `base_` (for picking a free default name). */
  namesLike(base: string): Promise<Set<string>>;
  /** Is `name` another connection's than `exceptId`'s? */
  nameTaken(name: string, exceptId?: string): Promise<boolean>;
  /** A row of this link or invitation (a code already accepted here). */
  byLinkOrInvitation(linkId: string, invitationId: string): Promise<ConnectionRow | undefined>;
  /** Deletes the row only (an accept that did not go through). */
  forget(id: string): Promise<void>;
  /** Records the row's link as revoked and, if `drop`, deletes the row, in one transaction. */
  revoke(row: ConnectionRow, drop: boolean): Promise<void>;
  /** Was this link (or this invitation) revoked here? */
  isRevoked(linkId: string, invitationId?: string): Promise<boolean>;
}

export function createConnectionStore(db: Db, now: () => string): ConnectionStore {
  const store: ConnectionStore = {
    byId: (id) => db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst(),
    byLink: (linkId) =>
      db.selectFrom('connections').selectAll().where('link_id', '=', linkId).executeTakeFirst(),
    async mustGet(id) {
      const row = await store.byId(id);
      if (!row) throw new TandemError('NOT_FOUND', 404, `Connection ${id} was not found`);
      return row;
    },
    all: () =>
      db.selectFrom('connections').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute(),
    async page(limit, cursor) {
      let q = db.selectFrom('connections').selectAll();
      if (cursor) {
        const pos = decodeCursor(cursor);
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', pos.t),
            eb.and([eb('created_at', '=', pos.t), eb('id', '<', pos.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const last = rows[limit - 1];
      return rows.length > limit && last
        ? { rows: rows.slice(0, limit), nextCursor: encodeCursor({ t: last.created_at, id: last.id }) }
        : { rows: rows.slice(0, limit) };
    },
    dialed: () => db.selectFrom('connections').selectAll().where('dials', '=', 1).execute(),
    async insert(row) {
      await db.insertInto('connections').values(row).execute();
    },
    async update(id, patch) {
      await db
        .updateTable('connections')
        .set({ ...patch, updated_at: now() })
        .where('id', '=', id)
        .execute();
    },
    async consume(id, patch) {
      const r = await db
        .updateTable('connections')
        .set(patch)
        .where('id', '=', id)
        .where('invitation_used_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
    async whileOpen(id, patch) {
      const r = await db
        .updateTable('connections')
        .set({ ...patch, updated_at: now() })
        .where('id', '=', id)
        .where('role', '=', 'inviter')
        .where('state', '=', 'pending')
        .where('invitation_used_at', 'is', null)
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
    async namesLike(base) {
      const rows = await db
        .selectFrom('connections')
        .select('name')
        // `base_...` as a range: '`' is the character after '_', so no LIKE pattern needs escaping.
        .where((eb) =>
          eb.or([
            eb('name', '=', base),
            eb.and([eb('name', '>=', `${base}_`), eb('name', '<', `${base}\``)]),
          ]),
        )
        .execute();
      return new Set(rows.map((r) => r.name));
    },
    async nameTaken(name, exceptId) {
      let q = db.selectFrom('connections').select('id').where('name', '=', name);
      if (exceptId) q = q.where('id', '!=', exceptId);
      return (await q.executeTakeFirst()) !== undefined;
    },
    byLinkOrInvitation: (linkId, invitationId) =>
      db
        .selectFrom('connections')
        .selectAll()
        .where((eb) => eb.or([eb('link_id', '=', linkId), eb('invitation_id', '=', invitationId)]))
        .executeTakeFirst(),
    async forget(id) {
      await db.deleteFrom('connections').where('id', '=', id).execute();
    },
    async revoke(row, drop) {
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('link_revocations')
          .values({
            link_id: row.link_id,
            invitation_id: row.invitation_id,
            peer_node_id: row.peer_node_id,
            revoked_at: now(),
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
        if (drop) await tx.deleteFrom('connections').where('id', '=', row.id).execute();
      });
    },
    async isRevoked(linkId, invitationId) {
      const revoked = await db
        .selectFrom('link_revocations')
        .select('link_id')
        .where((eb) =>
          invitationId === undefined
            ? eb('link_id', '=', linkId)
            : eb.or([eb('link_id', '=', linkId), eb('invitation_id', '=', invitationId)]),
        )
        .executeTakeFirst();
      return revoked !== undefined;
    },
  };
  return store;
}
