/**
 * The store's tables as kysely sees them (snake_case, one interface per table) and the
 * mapping between rows and the camelCase objects of types.ts. Every dialect difference
 * a row can show is absorbed here, so the queries in kysely-store.ts are shared:
 * - booleans: SQLite has none, so both dialects are written 0/1 (PostgreSQL's boolean
 *   input accepts '1'/'0') and read back as 0/1 (SQLite) or true/false (PostgreSQL);
 * - the audit id: PostgreSQL returns a bigint column as a string;
 * - string arrays: JSON text in both, so no array or JSON type is needed.
 */
import type { ColumnType, Insertable, Selectable } from 'kysely';
import type {
  AdminSession,
  AdminUser,
  AgentKey,
  AuditActorKind,
  AuditEntry,
  Connection,
  ConnectionKind,
  ConnectionStatus,
  OAuthApp,
  OAuthPending,
  Tenant,
} from './types';

/** Written as 0/1 in both dialects; read back as 0/1 (SQLite) or a boolean (PostgreSQL). */
type BooleanColumn = ColumnType<boolean | number, number, number>;
/** A string[] stored as JSON text. */
type StringArrayColumn = string;

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
  calls_per_minute: number | null;
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

export interface OAuthAppsTable {
  id: string;
  tenant_id: string;
  connector_id: string;
  client_id: string;
  client_secret: string | null;
  scopes: StringArrayColumn;
  redirect_uri: string;
  created_at: string;
  updated_at: string;
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

export interface OAuthPendingTable {
  state_hash: string;
  tenant_id: string;
  connector_id: string;
  user_id: string | null;
  connection_id: string;
  verifier: string;
  redirect_uri: string;
  created_at: string;
  expires_at: string;
}

export interface AgentKeysTable {
  id: string;
  tenant_id: string;
  user_id: string | null;
  name: string;
  key_hash: string;
  prefix: string;
  toolsets: StringArrayColumn;
  read_only: BooleanColumn;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  calls_per_minute: number | null;
}

export interface AuditTable {
  /** Assigned by the database; PostgreSQL's bigint arrives as a string. */
  id: ColumnType<number | string, never, never>;
  at: string;
  tenant_id: string | null;
  actor_kind: AuditActorKind;
  actor_id: string | null;
  action: string;
  tool: string | null;
  connector_id: string | null;
  connection_id: string | null;
  credential_owner: string | null;
  upstream_status: number | null;
  duration_ms: number | null;
  outcome: string;
  detail: string | null;
}

export interface Database {
  tenants: TenantsTable;
  admin_users: AdminUsersTable;
  admin_sessions: AdminSessionsTable;
  oauth_apps: OAuthAppsTable;
  connections: ConnectionsTable;
  oauth_pending: OAuthPendingTable;
  agent_keys: AgentKeysTable;
  audit: AuditTable;
}

export function toDbBoolean(value: boolean): number {
  return value ? 1 : 0;
}

function fromDbBoolean(value: boolean | number): boolean {
  return value === true || value === 1;
}

function toDbStrings(values: readonly string[]): string {
  return JSON.stringify(values);
}

function fromDbStrings(text: string): string[] {
  return JSON.parse(text) as string[];
}

export function toTenant(row: Selectable<TenantsTable>): Tenant {
  return { id: row.id, name: row.name, createdAt: row.created_at, callsPerMinute: row.calls_per_minute ?? null };
}

export function tenantRow(tenant: Tenant): Insertable<TenantsTable> {
  return { id: tenant.id, name: tenant.name, created_at: tenant.createdAt, calls_per_minute: tenant.callsPerMinute };
}

export function toAdminUser(row: Selectable<AdminUsersTable>): AdminUser {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    tenantId: row.tenant_id,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export function adminUserRow(admin: AdminUser): Insertable<AdminUsersTable> {
  return {
    id: admin.id,
    username: admin.username,
    password_hash: admin.passwordHash,
    tenant_id: admin.tenantId,
    created_at: admin.createdAt,
    disabled_at: admin.disabledAt,
  };
}

export function toAdminSession(row: Selectable<AdminSessionsTable>): AdminSession {
  return { tokenHash: row.token_hash, adminId: row.admin_id, createdAt: row.created_at, expiresAt: row.expires_at };
}

export function adminSessionRow(session: AdminSession): Insertable<AdminSessionsTable> {
  return { token_hash: session.tokenHash, admin_id: session.adminId, created_at: session.createdAt, expires_at: session.expiresAt };
}

export function toOAuthApp(row: Selectable<OAuthAppsTable>): OAuthApp {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    connectorId: row.connector_id,
    clientId: row.client_id,
    clientSecret: row.client_secret,
    scopes: fromDbStrings(row.scopes),
    redirectUri: row.redirect_uri,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function oauthAppRow(app: OAuthApp): Insertable<OAuthAppsTable> {
  return {
    id: app.id,
    tenant_id: app.tenantId,
    connector_id: app.connectorId,
    client_id: app.clientId,
    client_secret: app.clientSecret,
    scopes: toDbStrings(app.scopes),
    redirect_uri: app.redirectUri,
    created_at: app.createdAt,
    updated_at: app.updatedAt,
  };
}

export function toConnection(row: Selectable<ConnectionsTable>): Connection {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    connectorId: row.connector_id,
    userId: row.user_id,
    kind: row.kind,
    status: row.status,
    shared: fromDbBoolean(row.shared),
    label: row.label,
    secret: row.secret,
    expiresAt: row.expires_at,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function connectionRow(connection: Connection): Insertable<ConnectionsTable> {
  return {
    id: connection.id,
    tenant_id: connection.tenantId,
    connector_id: connection.connectorId,
    user_id: connection.userId,
    kind: connection.kind,
    status: connection.status,
    shared: toDbBoolean(connection.shared),
    label: connection.label,
    secret: connection.secret,
    expires_at: connection.expiresAt,
    version: connection.version,
    created_at: connection.createdAt,
    updated_at: connection.updatedAt,
  };
}

export function toOAuthPending(row: Selectable<OAuthPendingTable>): OAuthPending {
  return {
    stateHash: row.state_hash,
    tenantId: row.tenant_id,
    connectorId: row.connector_id,
    userId: row.user_id,
    connectionId: row.connection_id,
    verifier: row.verifier,
    redirectUri: row.redirect_uri,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export function oauthPendingRow(pending: OAuthPending): Insertable<OAuthPendingTable> {
  return {
    state_hash: pending.stateHash,
    tenant_id: pending.tenantId,
    connector_id: pending.connectorId,
    user_id: pending.userId,
    connection_id: pending.connectionId,
    verifier: pending.verifier,
    redirect_uri: pending.redirectUri,
    created_at: pending.createdAt,
    expires_at: pending.expiresAt,
  };
}

export function toAgentKey(row: Selectable<AgentKeysTable>): AgentKey {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    name: row.name,
    keyHash: row.key_hash,
    prefix: row.prefix,
    toolsets: fromDbStrings(row.toolsets),
    readOnly: fromDbBoolean(row.read_only),
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
    callsPerMinute: row.calls_per_minute ?? null,
  };
}

export function agentKeyRow(key: AgentKey): Insertable<AgentKeysTable> {
  return {
    id: key.id,
    tenant_id: key.tenantId,
    user_id: key.userId,
    name: key.name,
    key_hash: key.keyHash,
    prefix: key.prefix,
    toolsets: toDbStrings(key.toolsets),
    read_only: toDbBoolean(key.readOnly),
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    created_at: key.createdAt,
    calls_per_minute: key.callsPerMinute,
  };
}

export function toAuditEntry(row: Selectable<AuditTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: row.at,
    tenantId: row.tenant_id,
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    action: row.action,
    tool: row.tool,
    connectorId: row.connector_id,
    connectionId: row.connection_id,
    credentialOwner: row.credential_owner,
    upstreamStatus: row.upstream_status,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    detail: row.detail,
  };
}

export function auditRow(entry: Omit<AuditEntry, 'id'>): Insertable<AuditTable> {
  return {
    at: entry.at,
    tenant_id: entry.tenantId,
    actor_kind: entry.actorKind,
    actor_id: entry.actorId,
    action: entry.action,
    tool: entry.tool,
    connector_id: entry.connectorId,
    connection_id: entry.connectionId,
    credential_owner: entry.credentialOwner,
    upstream_status: entry.upstreamStatus,
    // PostgreSQL's integer refuses a fraction that SQLite would keep: round so both agree.
    duration_ms: entry.durationMs === null ? null : Math.round(entry.durationMs),
    outcome: entry.outcome,
    detail: entry.detail,
  };
}
