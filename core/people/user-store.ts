// Local users: create, list, change and remove them (never the last admin), and check a password.
import { nanoid } from 'nanoid';
import { forUpdate } from '../../storage/row-locks.ts';
import type { Db } from '../../storage/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { hashPassword, verifyNobody, verifyPassword } from './passwords.ts';
import type { Role } from './roles.ts';

/** A user as the API shows it (never the hash). */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export interface UserPatch {
  email?: string | undefined;
  name?: string | undefined;
  role?: Role | undefined;
  password?: string | undefined;
}

/**
 * The users table and what may be done to it.
 * @example const ana = await users.create({ email: 'ana@example.com', name: 'Ana', role: 'admin', password });
 */
export interface UserStore {
  list(): Promise<User[]>;
  get(id: string): Promise<User | undefined>;
  /** 409 `email_taken` when another user has the email. */
  create(input: { email: string; name: string; role: Role; password: string }): Promise<User>;
  /** 404; 409 `last_admin` when it would leave no admin; a new password ends the user's sessions. */
  update(id: string, patch: UserPatch): Promise<User>;
  /** 404; 409 `last_admin`; the user's sessions and tokens go with them. */
  remove(id: string): Promise<User>;
  /** The user whose email and password these are; as slow for an unknown email as for a known one. */
  authenticate(email: string, password: string): Promise<User | undefined>;
}

type Row = {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
};
const view = (r: Row): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const COLUMNS = ['id', 'email', 'name', 'role', 'created_at', 'updated_at'] as const;

/** SQLite's and PostgreSQL's codes for a unique index refusing a row. */
const isUniqueViolation = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
};

export const normalEmail = (email: string) => email.trim().toLowerCase();

const lastAdmin = (email: string) =>
  conflict('LAST_ADMIN', `${email} is the only admin: make another user an admin first`);

export function createUserStore(db: Db, now: () => string = () => new Date().toISOString()): UserStore {
  // Read on the executor given: inside a transaction, the connection it holds (the only one a process has).
  const byEmail = (exec: Db, email: string) =>
    exec
      .selectFrom('users')
      .select([...COLUMNS, 'password_hash'])
      .where('email', '=', normalEmail(email))
      .executeTakeFirst();
  const mustBeFree = async (exec: Db, email: string, except?: string) => {
    const other = await byEmail(exec, email);
    if (other && other.id !== except) throw conflict('EMAIL_TAKEN', `A user with the email ${email} exists`);
  };
  // Locked on PostgreSQL: two processes demoting or removing two different admins at once would each count
  // the other still an admin and leave none; the second now waits for the first and counts again.
  const admins = async (tx: Db) =>
    (
      await forUpdate(
        tx,
        tx.selectFrom('users').select('id').where('role', '=', 'admin').orderBy('id'),
      ).execute()
    ).length;

  return {
    async list() {
      const rows = await db.selectFrom('users').select(COLUMNS).orderBy('email').execute();
      return rows.map(view);
    },

    async get(id) {
      const row = await db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
      return row ? view(row) : undefined;
    },

    async create(input) {
      const email = normalEmail(input.email);
      await mustBeFree(db, email);
      const at = now();
      const row: Row = {
        id: nanoid(),
        email,
        name: input.name,
        role: input.role,
        created_at: at,
        updated_at: at,
      };
      try {
        await db
          .insertInto('users')
          .values({ ...row, password_hash: await hashPassword(input.password) })
          .execute();
      } catch (err) {
        // Two creates of one email at once: the unique index decides, the loser hears why.
        if (isUniqueViolation(err)) throw conflict('EMAIL_TAKEN', `A user with the email ${email} exists`);
        throw err;
      }
      return view(row);
    },

    async update(id, patch) {
      const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      return db
        .transaction()
        .execute(async (tx) => {
          const row = await tx.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
          if (!row) throw notFound('User', id);
          if (patch.email !== undefined) await mustBeFree(tx, patch.email, id);
          if (
            row.role === 'admin' &&
            patch.role !== undefined &&
            patch.role !== 'admin' &&
            (await admins(tx)) <= 1
          )
            throw lastAdmin(row.email);
          const next: Row = {
            ...row,
            ...(patch.email !== undefined ? { email: normalEmail(patch.email) } : {}),
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            updated_at: now(),
          };
          await tx
            .updateTable('users')
            .set({ ...next, ...(hash ? { password_hash: hash } : {}) })
            .where('id', '=', id)
            .execute();
          if (hash) await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
          return view(next);
        })
        .catch((err: unknown) => {
          // Two changes to one email at once (two processes): the unique index decides, the loser hears why.
          if (patch.email !== undefined && isUniqueViolation(err))
            throw conflict('EMAIL_TAKEN', `A user with the email ${patch.email} exists`);
          throw err;
        });
    },

    async remove(id) {
      return db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
        if (!row) throw notFound('User', id);
        if (row.role === 'admin' && (await admins(tx)) <= 1) throw lastAdmin(row.email);
        await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
        await tx.deleteFrom('api_tokens').where('user_id', '=', id).execute();
        await tx.deleteFrom('users').where('id', '=', id).execute();
        return view(row);
      });
    },

    async authenticate(email, password) {
      const row = await byEmail(db, email);
      if (!row) return verifyNobody(password).then(() => undefined);
      return (await verifyPassword(password, row.password_hash)) ? view(row) : undefined;
    },
  };
}
