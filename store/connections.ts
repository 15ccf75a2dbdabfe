/**
 * Connections: a tenant's (or one of its users') authorised account on a connector, its
 * credential sealed. Every read and write filters on `tenant_id` next to the row id, so a
 * foreign id simply matches nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { booleanColumn, now, rowMapping, toDbBoolean, type BooleanColumn, type Sealed, type Timestamp } from './rows';

export type ConnectionKind = 'api_key' | 'basic' | 'bearer' | 'oauth2';
export type ConnectionStatus = 'pending' | 'active' | 'needs_reauth' | 'revoked';

export interface Connection {
  id: string;
  tenantId: string;
  connectorId: string;
  /** null: the tenant's own connection; else one user's. */
  userId: string | null;
  kind: ConnectionKind;
  status: ConnectionStatus;
  /** Only meaningful on a tenant connection (userId null): users without their own may use it. */
  shared: boolean;
  label: string | null;
  /** The credential (API key, password, tokens...), sealed. null while pending. */
  secret: Sealed | null;
  /** When the access token expires (OAuth), for refresh ahead of expiry. */
  expiresAt: Timestamp | null;
  /** Bumped on every secret update: compare-and-set makes token rotation atomic. */
  version: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface NewConnection {
  tenantId: string;
  connectorId: string;
  userId: string | null;
  kind: ConnectionKind;
  status: ConnectionStatus;
  shared?: boolean;
  label?: string | null;
  secret: Sealed | null;
  expiresAt?: Timestamp | null;
}

export interface ConnectionsTable {
  id: string;
  tenant_id: string;
  connector_id: string;
  user_id: string | null;
  kind: ConnectionKind;
  status: ConnectionStatus;
  shared: BooleanColumn;
  label: string | null;
  secret: string | null;
  expires_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface ConnectionTables {
  connections: ConnectionsTable;
}

export interface ConnectionStore {
  createConnection(input: NewConnection): Promise<Connection>;
  getConnection(tenantId: string, id: string): Promise<Connection | undefined>;
  listConnections(tenantId: string, filter?: { connectorId?: string; userId?: string | null }): Promise<Connection[]>;
  /**
   * The connection a call uses: the user's own active-or-needs_reauth connection for the
   * connector when userId is given and one exists; otherwise the tenant's (userId null)
   * connection, which the caller checks for `shared` when acting for a user. Revoked and
   * pending rows are never returned. Newest first when several match.
   */
  findConnectionFor(tenantId: string, connectorId: string, userId: string | null): Promise<{ own?: Connection; tenant?: Connection }>;
  /**
   * Compare-and-set on `version`: writes only when the row still has `expectedVersion`,
   * bumping it; returns the updated row, or undefined when another writer won.
   */
  updateConnectionSecret(
    tenantId: string,
    id: string,
    expectedVersion: number,
    update: { secret: Sealed | null; expiresAt: Timestamp | null; status: ConnectionStatus },
  ): Promise<Connection | undefined>;
  setConnectionStatus(tenantId: string, id: string, status: ConnectionStatus): Promise<Connection | undefined>;
  setConnectionShared(tenantId: string, id: string, shared: boolean): Promise<Connection | undefined>;
}

/** Statuses a call may use; pending and revoked connections are never handed out. */
const USABLE_STATUSES: readonly ConnectionStatus[] = ['active', 'needs_reauth'];

const connections = rowMapping<Connection, ConnectionsTable>({
  id: 'id',
  tenantId: 'tenant_id',
  connectorId: 'connector_id',
  userId: 'user_id',
  kind: 'kind',
  status: 'status',
  shared: booleanColumn('shared'),
  label: 'label',
  secret: 'secret',
  expiresAt: 'expires_at',
  version: 'version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
});

export function connectionQueries(db: Kysely<ConnectionTables>): ConnectionStore {
  const newestUsable = async (tenantId: string, connectorId: string, userId: string | null): Promise<Connection | undefined> => {
    const row = await db
      .selectFrom('connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('connector_id', '=', connectorId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('status', 'in', USABLE_STATUSES)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && connections.fromRow(row);
  };

  const update = async (tenantId: string, id: string, change: { status?: ConnectionStatus; shared?: number }): Promise<Connection | undefined> => {
    const row = await db
      .updateTable('connections')
      .set({ ...change, updated_at: now() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && connections.fromRow(row);
  };

  return {
    async createConnection(input) {
      const at = now();
      const row = connections.toRow({
        id: randomUUID(),
        ...input,
        shared: input.shared ?? false,
        label: input.label ?? null,
        expiresAt: input.expiresAt ?? null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      });
      return connections.fromRow(await db.insertInto('connections').values(row).returningAll().executeTakeFirstOrThrow());
    },
    async getConnection(tenantId, id) {
      const row = await db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return row && connections.fromRow(row);
    },
    async listConnections(tenantId, filter = {}) {
      let query = db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId);
      if (filter.connectorId !== undefined) query = query.where('connector_id', '=', filter.connectorId);
      // undefined: every owner; null: the tenant's own connections only.
      if (filter.userId !== undefined) query = query.where('user_id', filter.userId === null ? 'is' : '=', filter.userId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(connections.fromRow);
    },
    async findConnectionFor(tenantId, connectorId, userId) {
      const [own, tenant] = await Promise.all([
        userId === null ? undefined : newestUsable(tenantId, connectorId, userId),
        newestUsable(tenantId, connectorId, null),
      ]);
      return { own, tenant };
    },
    async updateConnectionSecret(tenantId, id, expectedVersion, change) {
      // The version check and the bump are one UPDATE: under concurrency the database,
      // not this process, decides the single winner (the others match no row).
      const row = await db
        .updateTable('connections')
        .set((eb) => ({
          secret: change.secret,
          expires_at: change.expiresAt,
          status: change.status,
          version: eb('version', '+', 1),
          updated_at: now(),
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
      return row && connections.fromRow(row);
    },
    setConnectionStatus: (tenantId, id, status) => update(tenantId, id, { status }),
    setConnectionShared: (tenantId, id, shared) => update(tenantId, id, { shared: toDbBoolean(shared) }),
  };
}
