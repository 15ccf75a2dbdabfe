/**
 * HubStore once, for both dialects: every query below is the same kysely builder for
 * SQLite and PostgreSQL (rows are mapped in database.ts, DDL lives in migrations.ts).
 * openStore (open-store.ts) builds the dialect and hands the Kysely instance over.
 *
 * Tenant isolation is enforced here, not by callers: each read or write of a
 * tenant-owned row filters on `tenant_id` next to the row id, so a foreign id simply
 * matches nothing.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errors } from '../../errors';
import {
  adminSessionRow,
  adminUserRow,
  agentKeyRow,
  auditRow,
  connectionRow,
  oauthAppRow,
  oauthPendingRow,
  tenantRow,
  toAdminSession,
  toAdminUser,
  toAgentKey,
  toAuditEntry,
  toConnection,
  toDbBoolean,
  toOAuthApp,
  toOAuthPending,
  toTenant,
  type Database,
} from './database';
import { runMigrations, schemaVersion, type MigrationTarget, type StoreKind } from './migrations';
import type {
  AdminSession,
  AdminUser,
  AgentKey,
  AuditEntry,
  AuditQuery,
  Connection,
  ConnectionStatus,
  HubStore,
  NewAgentKey,
  NewAuditEntry,
  NewConnection,
  OAuthApp,
  OAuthPending,
  Sealed,
  SealedValueRef,
  Tenant,
  Timestamp,
} from './types';

/** Statuses a call may use; pending and revoked connections are never handed out. */
const USABLE_STATUSES: readonly ConnectionStatus[] = ['active', 'needs_reauth'];

const AUDIT_LIMIT = { default: 100, max: 1000 };

/** Where each sealed value lives: the table's key column and its one sealed column. */
const SEALED_COLUMNS = {
  oauth_apps: { key: 'id', column: 'client_secret' },
  connections: { key: 'id', column: 'secret' },
  oauth_pending: { key: 'state_hash', column: 'verifier' },
} as const satisfies Record<SealedValueRef['table'], { key: string; column: SealedValueRef['column'] }>;

const SEALED_TABLES = Object.keys(SEALED_COLUMNS) as Array<SealedValueRef['table']>;

function now(): Timestamp {
  return new Date().toISOString();
}

/** SQLite says SQLITE_CONSTRAINT_UNIQUE (or _PRIMARYKEY), PostgreSQL SQLSTATE 23505. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * A taken name is the caller's input to fix (pick another), not a race to retry, hence
 * API_BAD_REQUEST rather than STORE_CONFLICT (whose advice is "try again").
 */
async function rejectTaken<T>(write: Promise<T>, taken: { what: string; field: string; value: string }): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw errors.API_BAD_REQUEST([`${taken.what} "${taken.value}" is already taken`], { cause: error, details: { field: taken.field } });
  }
}

function auditLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return AUDIT_LIMIT.default;
  return Math.min(Math.max(Math.trunc(limit), 1), AUDIT_LIMIT.max);
}

function sealedColumn(ref: SealedValueRef): (typeof SEALED_COLUMNS)[SealedValueRef['table']] {
  const where = SEALED_COLUMNS[ref.table];
  // The ref's type allows any table/column pair; only the real ones may reach the SQL.
  if (where === undefined || where.column !== ref.column) {
    throw errors.INTERNAL([`${ref.table}.${ref.column} holds no sealed value`]);
  }
  return where;
}

export interface KyselyStoreOptions {
  log?: Logger;
  /** PostgreSQL: the schema the store lives in (see MigrationTarget.schema). */
  schema?: string;
}

export class KyselyStore implements HubStore {
  readonly kind: StoreKind;
  readonly #db: Kysely<Database>;
  readonly #migrations: MigrationTarget;
  readonly #log: Logger | undefined;

  constructor(db: Kysely<Database>, kind: StoreKind, options: KyselyStoreOptions = {}) {
    this.kind = kind;
    this.#db = db;
    this.#migrations = { db: db as Kysely<unknown>, kind, schema: options.schema };
    this.#log = options.log;
  }

  async migrate(): Promise<void> {
    const applied = await runMigrations(this.#migrations);
    if (applied.length > 0) this.#log?.info({ store: this.kind, applied }, 'store schema migrated');
  }

  /** The last applied migration (`001_initial`...), for status pages and tests. */
  schemaVersion(): Promise<string | undefined> {
    return schemaVersion(this.#migrations);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  // Tenants

  async createTenant(name: string): Promise<Tenant> {
    const row = tenantRow({ id: randomUUID(), name, createdAt: now(), callsPerMinute: null });
    const insert = this.#db.insertInto('tenants').values(row).returningAll().executeTakeFirstOrThrow();
    return toTenant(await rejectTaken(insert, { what: 'tenant name', field: 'name', value: name }));
  }

  async setTenantQuota(id: string, callsPerMinute: number | null): Promise<Tenant | undefined> {
    const row = await this.#db.updateTable('tenants').set({ calls_per_minute: callsPerMinute }).where('id', '=', id).returningAll().executeTakeFirst();
    return row && toTenant(row);
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    const row = await this.#db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  }

  async getTenantByName(name: string): Promise<Tenant | undefined> {
    const row = await this.#db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toTenant(row);
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.#db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('name').execute();
    return rows.map(toTenant);
  }

  // Admin users and sessions

  async createAdmin(input: { username: string; passwordHash: string; tenantId: string | null }): Promise<AdminUser> {
    const row = adminUserRow({ id: randomUUID(), ...input, createdAt: now(), disabledAt: null });
    const insert = this.#db.insertInto('admin_users').values(row).returningAll().executeTakeFirstOrThrow();
    return toAdminUser(await rejectTaken(insert, { what: 'admin username', field: 'username', value: input.username }));
  }

  async getAdminByUsername(username: string): Promise<AdminUser | undefined> {
    const row = await this.#db.selectFrom('admin_users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && toAdminUser(row);
  }

  async getAdmin(id: string): Promise<AdminUser | undefined> {
    const row = await this.#db.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAdminUser(row);
  }

  async countAdmins(): Promise<number> {
    const { count } = await this.#db
      .selectFrom('admin_users')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    // PostgreSQL's count is a bigint, which pg returns as a string.
    return Number(count);
  }

  async createAdminSession(session: AdminSession): Promise<void> {
    await this.#db.insertInto('admin_sessions').values(adminSessionRow(session)).execute();
  }

  async getAdminSession(tokenHash: string, at: Timestamp): Promise<AdminSession | undefined> {
    const row = await this.#db
      .selectFrom('admin_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return row && toAdminSession(row);
  }

  async deleteAdminSession(tokenHash: string): Promise<void> {
    await this.#db.deleteFrom('admin_sessions').where('token_hash', '=', tokenHash).execute();
  }

  // OAuth apps

  async upsertOAuthApp(input: Omit<OAuthApp, 'id' | 'createdAt' | 'updatedAt'>): Promise<OAuthApp> {
    const at = now();
    const row = oauthAppRow({ id: randomUUID(), ...input, createdAt: at, updatedAt: at });
    // One statement, so two concurrent upserts cannot both insert; the first row's id
    // and created_at survive a replacement.
    const saved = await this.#db
      .insertInto('oauth_apps')
      .values(row)
      .onConflict((conflict) =>
        conflict.columns(['tenant_id', 'connector_id']).doUpdateSet({
          client_id: row.client_id,
          client_secret: row.client_secret,
          scopes: row.scopes,
          redirect_uri: row.redirect_uri,
          updated_at: row.updated_at,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toOAuthApp(saved);
  }

  async getOAuthApp(tenantId: string, connectorId: string): Promise<OAuthApp | undefined> {
    const row = await this.#db
      .selectFrom('oauth_apps')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('connector_id', '=', connectorId)
      .executeTakeFirst();
    return row && toOAuthApp(row);
  }

  async listOAuthApps(tenantId: string): Promise<OAuthApp[]> {
    const rows = await this.#db
      .selectFrom('oauth_apps')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('connector_id')
      .execute();
    return rows.map(toOAuthApp);
  }

  async deleteOAuthApp(tenantId: string, connectorId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('oauth_apps')
      .where('tenant_id', '=', tenantId)
      .where('connector_id', '=', connectorId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  // Connections

  async createConnection(input: NewConnection): Promise<Connection> {
    const at = now();
    const row = connectionRow({
      id: randomUUID(),
      ...input,
      shared: input.shared ?? false,
      label: input.label ?? null,
      expiresAt: input.expiresAt ?? null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    });
    return toConnection(await this.#db.insertInto('connections').values(row).returningAll().executeTakeFirstOrThrow());
  }

  async getConnection(tenantId: string, id: string): Promise<Connection | undefined> {
    const row = await this.#db
      .selectFrom('connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toConnection(row);
  }

  async listConnections(tenantId: string, filter: { connectorId?: string; userId?: string | null } = {}): Promise<Connection[]> {
    let query = this.#db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId);
    if (filter.connectorId !== undefined) query = query.where('connector_id', '=', filter.connectorId);
    // undefined: every owner; null: the tenant's own connections only.
    if (filter.userId !== undefined) query = query.where('user_id', filter.userId === null ? 'is' : '=', filter.userId);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toConnection);
  }

  async findConnectionFor(
    tenantId: string,
    connectorId: string,
    userId: string | null,
  ): Promise<{ own?: Connection; tenant?: Connection }> {
    const [own, tenant] = await Promise.all([
      userId === null ? undefined : this.#newestUsable(tenantId, connectorId, userId),
      this.#newestUsable(tenantId, connectorId, null),
    ]);
    return { own, tenant };
  }

  async #newestUsable(tenantId: string, connectorId: string, userId: string | null): Promise<Connection | undefined> {
    const row = await this.#db
      .selectFrom('connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('connector_id', '=', connectorId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('status', 'in', USABLE_STATUSES)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toConnection(row);
  }

  async updateConnectionSecret(
    tenantId: string,
    id: string,
    expectedVersion: number,
    update: { secret: Sealed | null; expiresAt: Timestamp | null; status: ConnectionStatus },
  ): Promise<Connection | undefined> {
    // The version check and the bump are one UPDATE: under concurrency the database,
    // not this process, decides the single winner (the others match no row).
    const row = await this.#db
      .updateTable('connections')
      .set((eb) => ({
        secret: update.secret,
        expires_at: update.expiresAt,
        status: update.status,
        version: eb('version', '+', 1),
        updated_at: now(),
      }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .returningAll()
      .executeTakeFirst();
    return row && toConnection(row);
  }

  setConnectionStatus(tenantId: string, id: string, status: ConnectionStatus): Promise<Connection | undefined> {
    return this.#updateConnection(tenantId, id, { status });
  }

  setConnectionShared(tenantId: string, id: string, shared: boolean): Promise<Connection | undefined> {
    return this.#updateConnection(tenantId, id, { shared: toDbBoolean(shared) });
  }

  async #updateConnection(
    tenantId: string,
    id: string,
    change: { status?: ConnectionStatus; shared?: number },
  ): Promise<Connection | undefined> {
    const row = await this.#db
      .updateTable('connections')
      .set({ ...change, updated_at: now() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toConnection(row);
  }

  // Pending OAuth authorisations

  async createOAuthPending(pending: OAuthPending): Promise<void> {
    await this.#db.insertInto('oauth_pending').values(oauthPendingRow(pending)).execute();
  }

  async takeOAuthPending(stateHash: string, at: Timestamp): Promise<OAuthPending | undefined> {
    // DELETE ... RETURNING: of two callbacks racing with the same state, one gets the
    // row. An expired row is consumed too (it can never become valid again).
    const row = await this.#db.deleteFrom('oauth_pending').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
    return row !== undefined && row.expires_at > at ? toOAuthPending(row) : undefined;
  }

  // Agent keys

  async createAgentKey(input: NewAgentKey): Promise<AgentKey> {
    const row = agentKeyRow({ id: randomUUID(), ...input, callsPerMinute: input.callsPerMinute ?? null, revokedAt: null, createdAt: now() });
    return toAgentKey(await this.#db.insertInto('agent_keys').values(row).returningAll().executeTakeFirstOrThrow());
  }

  async getAgentKeyByHash(keyHash: string): Promise<AgentKey | undefined> {
    const row = await this.#db.selectFrom('agent_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
    return row && toAgentKey(row);
  }

  async listAgentKeys(tenantId: string): Promise<AgentKey[]> {
    const rows = await this.#db
      .selectFrom('agent_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toAgentKey);
  }

  async revokeAgentKey(tenantId: string, id: string, at: Timestamp): Promise<AgentKey | undefined> {
    // Revoking twice keeps the first time: the audit trail and the key list must agree.
    const row = await this.#db
      .updateTable('agent_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toAgentKey(row);
  }

  // Audit

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = auditRow({ ...entry, at: entry.at ?? now() });
    return toAuditEntry(await this.#db.insertInto('audit').values(row).returningAll().executeTakeFirstOrThrow());
  }

  async queryAudit(filter: AuditQuery): Promise<AuditEntry[]> {
    let query = this.#db.selectFrom('audit').selectAll();
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
    if (filter.tool !== undefined) query = query.where('tool', '=', filter.tool);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    // By id, not `at`: ids only grow, so `before` pages never skip or repeat an entry,
    // even when a caller wrote an entry with an earlier `at`.
    const rows = await query.orderBy('id', 'desc').limit(auditLimit(filter.limit)).execute();
    return rows.map(toAuditEntry);
  }

  // Sealed values (master-key rotation)

  async listSealedValues(): Promise<SealedValueRef[]> {
    const perTable = await Promise.all(SEALED_TABLES.map((table) => this.#sealedValuesIn(table)));
    return perTable.flat();
  }

  async #sealedValuesIn(table: SealedValueRef['table']): Promise<SealedValueRef[]> {
    const { key, column } = SEALED_COLUMNS[table];
    // Table and column names come from SEALED_COLUMNS, never from a caller.
    const { rows } = await sql<{ id: string; value: Sealed }>`
      select ${sql.ref(key)} as id, ${sql.ref(column)} as value from ${sql.table(table)}
      where ${sql.ref(column)} is not null order by ${sql.ref(key)}`.execute(this.#db);
    return rows.map(({ id, value }) => ({ table, id, column, value }));
  }

  async replaceSealedValues(changes: Array<{ ref: SealedValueRef; value: Sealed }>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const { ref, value } of changes) {
        const { key, column } = sealedColumn(ref);
        // Compare-and-set on the value itself: a row rewritten since it was listed (a
        // token refresh) must not be overwritten with a re-seal of the old secret.
        const result = await sql`
          update ${sql.table(ref.table)} set ${sql.ref(column)} = ${value}
          where ${sql.ref(key)} = ${ref.id} and ${sql.ref(column)} = ${ref.value}`.execute(trx);
        // Throwing inside the transaction rolls back every change already made.
        if (result.numAffectedRows !== 1n) throw errors.STORE_CONFLICT([`${ref.table} row ${ref.id}`]);
      }
    });
  }
}
