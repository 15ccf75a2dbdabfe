/**
 * The hub's durable state behind one interface: tenants, admin users, OAuth app
 * registrations, connections, pending OAuth authorisations, agent keys and the audit
 * trail. Two implementations share every line of SQL through kysely: SQLite (the
 * embedded default, a file under the data dir) and PostgreSQL (by configuration).
 *
 * Secrets arrive here already sealed (`Sealed` strings made by auth/crypto): the store
 * never sees plaintext and never decrypts. Key hashes (agent keys, admin sessions)
 * likewise arrive hashed.
 *
 * Tenant isolation starts here: every read or write of a tenant-owned row takes the
 * tenant id and filters on it, so a caller holding tenant A's id cannot reach B's rows
 * even with B's row ids.
 */

/** A value sealed by auth/crypto (`v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url). Opaque here. */
export type Sealed = string;

/** ISO-8601 UTC timestamps everywhere (`new Date().toISOString()`), in both databases. */
export type Timestamp = string;

export interface Tenant {
  id: string;
  name: string;
  createdAt: Timestamp;
  /** Front-door quota for all the tenant's agents together; null: none. */
  callsPerMinute: number | null;
}

export interface AdminUser {
  id: string;
  username: string;
  /** scrypt hash made by auth (`scrypt$N$r$p$salt$hash`); opaque here. */
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

export interface OAuthApp {
  id: string;
  tenantId: string;
  connectorId: string;
  clientId: string;
  /** null for public clients (PKCE only). */
  clientSecret: Sealed | null;
  scopes: string[];
  redirectUri: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

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

/** An authorisation started and not yet finished at /oauth/callback. */
export interface OAuthPending {
  /** SHA-256 (hex) of the `state` parameter sent to the authorisation server. */
  stateHash: string;
  tenantId: string;
  connectorId: string;
  userId: string | null;
  /** The connection row (status `pending`) this authorisation completes. */
  connectionId: string;
  /** The PKCE code verifier (and nonce, if any), sealed. */
  verifier: Sealed;
  redirectUri: string;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

export interface AgentKey {
  id: string;
  tenantId: string;
  /** null: the key acts for the tenant; else for this user of the tenant. */
  userId: string | null;
  name: string;
  /** SHA-256 (hex) of the whole key; the key itself is shown once and never stored. */
  keyHash: string;
  /** The first characters of the key (e.g. `lsh_ab12`), to recognise it in lists. */
  prefix: string;
  /** Toolsets the key may use (`github`, `github:issues`); empty: every enabled connector. */
  toolsets: string[];
  readOnly: boolean;
  expiresAt: Timestamp | null;
  revokedAt: Timestamp | null;
  createdAt: Timestamp;
  /** Front-door quota for this key; null: none (the tenant's still applies). */
  callsPerMinute: number | null;
}

export type NewAgentKey = Omit<AgentKey, 'id' | 'revokedAt' | 'createdAt' | 'callsPerMinute'> & { callsPerMinute?: number | null };

export type AuditActorKind = 'agent' | 'admin' | 'system';

export interface AuditEntry {
  id: number;
  at: Timestamp;
  tenantId: string | null;
  actorKind: AuditActorKind;
  /** Agent key id, admin user id, JWT subject, or `cli`. */
  actorId: string | null;
  /** `tool.call`, `connection.create`, `key.revoke`, ... */
  action: string;
  tool: string | null;
  connectorId: string | null;
  connectionId: string | null;
  /** Whose credentials were used: `user:<id>`, `tenant` (shared), or null. */
  credentialOwner: string | null;
  upstreamStatus: number | null;
  durationMs: number | null;
  /** `ok`, `error`, `denied`, ... */
  outcome: string;
  /** A short human sentence; never arguments, secrets or tokens. */
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: Timestamp };

export interface AuditQuery {
  /** Required unless the caller is a hub-wide admin (then undefined means every tenant). */
  tenantId?: string;
  actorId?: string;
  tool?: string;
  action?: string;
  /** Inclusive lower and exclusive upper bound on `at`. */
  since?: Timestamp;
  until?: Timestamp;
  /** Newest first; default 100, at most 1000. */
  limit?: number;
  /** Entries with id lower than this (paging newest-first). */
  before?: number;
}

/** Every sealed value in the store, for master-key rotation. */
export interface SealedValueRef {
  table: 'oauth_apps' | 'connections' | 'oauth_pending';
  /** Row id (state hash for oauth_pending). */
  id: string;
  column: 'client_secret' | 'secret' | 'verifier';
  value: Sealed;
}

export interface HubStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations (versioned, in order, each in a transaction). Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  createTenant(name: string): Promise<Tenant>;
  /** Sets (or clears, with null) the tenant's front-door quota. */
  setTenantQuota(id: string, callsPerMinute: number | null): Promise<Tenant | undefined>;
  getTenant(id: string): Promise<Tenant | undefined>;
  getTenantByName(name: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;

  createAdmin(input: { username: string; passwordHash: string; tenantId: string | null }): Promise<AdminUser>;
  getAdminByUsername(username: string): Promise<AdminUser | undefined>;
  getAdmin(id: string): Promise<AdminUser | undefined>;
  countAdmins(): Promise<number>;
  createAdminSession(session: AdminSession): Promise<void>;
  /** undefined when unknown or expired (compared with `now`). */
  getAdminSession(tokenHash: string, now: Timestamp): Promise<AdminSession | undefined>;
  deleteAdminSession(tokenHash: string): Promise<void>;

  /** Insert or replace the tenant's app for that connector. */
  upsertOAuthApp(input: Omit<OAuthApp, 'id' | 'createdAt' | 'updatedAt'>): Promise<OAuthApp>;
  getOAuthApp(tenantId: string, connectorId: string): Promise<OAuthApp | undefined>;
  listOAuthApps(tenantId: string): Promise<OAuthApp[]>;
  deleteOAuthApp(tenantId: string, connectorId: string): Promise<boolean>;

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
  updateConnectionSecret(tenantId: string, id: string, expectedVersion: number, update: { secret: Sealed | null; expiresAt: Timestamp | null; status: ConnectionStatus }): Promise<Connection | undefined>;
  setConnectionStatus(tenantId: string, id: string, status: ConnectionStatus): Promise<Connection | undefined>;
  setConnectionShared(tenantId: string, id: string, shared: boolean): Promise<Connection | undefined>;

  createOAuthPending(pending: OAuthPending): Promise<void>;
  /** Returns and deletes the row in one step (a state is usable once); undefined when unknown or expired. */
  takeOAuthPending(stateHash: string, now: Timestamp): Promise<OAuthPending | undefined>;

  createAgentKey(input: NewAgentKey): Promise<AgentKey>;
  /** Any state (revoked, expired): the caller decides. */
  getAgentKeyByHash(keyHash: string): Promise<AgentKey | undefined>;
  listAgentKeys(tenantId: string): Promise<AgentKey[]>;
  revokeAgentKey(tenantId: string, id: string, at: Timestamp): Promise<AgentKey | undefined>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  /** Every sealed value, for master-key rotation. */
  listSealedValues(): Promise<SealedValueRef[]>;
  /**
   * Replace sealed values in one transaction: all or nothing. Each ref's `value` must
   * still be the stored one (else the whole batch fails with HUB_ERR_STORE_CONFLICT).
   */
  replaceSealedValues(changes: Array<{ ref: SealedValueRef; value: Sealed }>): Promise<void>;
}

export type StoreConfig =
  | { kind: 'sqlite'; /** File path; ':memory:' for tests. */ file: string }
  | { kind: 'postgres'; /** postgres://user@host:port/db */ url: string; /** Schema to use (created if missing); default `public`. Tests use one per run. */ schema?: string };
