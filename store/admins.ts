/** Admin users (hub-wide or of one tenant) and their login sessions. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { now, rowMapping, type Timestamp } from './rows';
import { rejectTaken } from './taken';

export interface AdminUser {
  id: string;
  username: string;
  /** scrypt hash made by admin/passwords (`scrypt$N$r$p$salt$hash`); opaque here. */
  passwordHash: string;
  /** null: a hub-wide admin (every tenant); else an admin of that tenant only. */
  tenantId: string | null;
  createdAt: Timestamp;
  disabledAt: Timestamp | null;
}

export interface AdminSession {
  /** SHA-256 (hex) of the bearer token handed out at login. */
  tokenHash: string;
  adminId: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface AdminUsersTable {
  id: string;
  username: string;
  password_hash: string;
  tenant_id: string | null;
  created_at: string;
  disabled_at: string | null;
}

export interface AdminSessionsTable {
  token_hash: string;
  admin_id: string;
  created_at: string;
  expires_at: string;
}

export interface AdminTables {
  admin_users: AdminUsersTable;
  admin_sessions: AdminSessionsTable;
}

export interface AdminStore {
  createAdmin(input: { username: string; passwordHash: string; tenantId: string | null }): Promise<AdminUser>;
  getAdminByUsername(username: string): Promise<AdminUser | undefined>;
  getAdmin(id: string): Promise<AdminUser | undefined>;
  countAdmins(): Promise<number>;
  createAdminSession(session: AdminSession): Promise<void>;
  /** undefined when unknown or expired (compared with `now`). */
  getAdminSession(tokenHash: string, now: Timestamp): Promise<AdminSession | undefined>;
  deleteAdminSession(tokenHash: string): Promise<void>;
}

const admins = rowMapping<AdminUser, AdminUsersTable>({
  id: 'id',
  username: 'username',
  passwordHash: 'password_hash',
  tenantId: 'tenant_id',
  createdAt: 'created_at',
  disabledAt: 'disabled_at',
});

const sessions = rowMapping<AdminSession, AdminSessionsTable>({
  tokenHash: 'token_hash',
  adminId: 'admin_id',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
});

export function adminQueries(db: Kysely<AdminTables>): AdminStore {
  return {
    async createAdmin(input) {
      const row = admins.toRow({ id: randomUUID(), ...input, createdAt: now(), disabledAt: null });
      const insert = db.insertInto('admin_users').values(row).returningAll().executeTakeFirstOrThrow();
      return admins.fromRow(await rejectTaken(insert, { what: 'admin username', field: 'username', value: input.username }));
    },
    async getAdminByUsername(username) {
      const row = await db.selectFrom('admin_users').selectAll().where('username', '=', username).executeTakeFirst();
      return row && admins.fromRow(row);
    },
    async getAdmin(id) {
      const row = await db.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && admins.fromRow(row);
    },
    async countAdmins() {
      const { count } = await db
        .selectFrom('admin_users')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow();
      // PostgreSQL's count is a bigint, which pg returns as a string.
      return Number(count);
    },
    async createAdminSession(session) {
      await db.insertInto('admin_sessions').values(sessions.toRow(session)).execute();
    },
    async getAdminSession(tokenHash, at) {
      const row = await db.selectFrom('admin_sessions').selectAll().where('token_hash', '=', tokenHash).where('expires_at', '>', at).executeTakeFirst();
      return row && sessions.fromRow(row);
    },
    async deleteAdminSession(tokenHash) {
      await db.deleteFrom('admin_sessions').where('token_hash', '=', tokenHash).execute();
    },
  };
}
