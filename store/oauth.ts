/** A tenant's OAuth app registration per connector, and the authorisations started with it and not yet finished. */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { now, rowMapping, stringsColumn, type Sealed, type StringArrayColumn, type Timestamp } from './rows';

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

export interface OAuthTables {
  oauth_apps: OAuthAppsTable;
  oauth_pending: OAuthPendingTable;
}

export interface OAuthStore {
  /** Insert or replace the tenant's app for that connector. */
  upsertOAuthApp(input: Omit<OAuthApp, 'id' | 'createdAt' | 'updatedAt'>): Promise<OAuthApp>;
  getOAuthApp(tenantId: string, connectorId: string): Promise<OAuthApp | undefined>;
  listOAuthApps(tenantId: string): Promise<OAuthApp[]>;
  deleteOAuthApp(tenantId: string, connectorId: string): Promise<boolean>;

  createOAuthPending(pending: OAuthPending): Promise<void>;
  /** Returns and deletes the row in one step (a state is usable once); undefined when unknown or expired. */
  takeOAuthPending(stateHash: string, now: Timestamp): Promise<OAuthPending | undefined>;
}

const apps = rowMapping<OAuthApp, OAuthAppsTable>({
  id: 'id',
  tenantId: 'tenant_id',
  connectorId: 'connector_id',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  scopes: stringsColumn('scopes'),
  redirectUri: 'redirect_uri',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
});

const pendings = rowMapping<OAuthPending, OAuthPendingTable>({
  stateHash: 'state_hash',
  tenantId: 'tenant_id',
  connectorId: 'connector_id',
  userId: 'user_id',
  connectionId: 'connection_id',
  verifier: 'verifier',
  redirectUri: 'redirect_uri',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
});

export function oauthQueries(db: Kysely<OAuthTables>): OAuthStore {
  return {
    async upsertOAuthApp(input) {
      const at = now();
      const row = apps.toRow({ id: randomUUID(), ...input, createdAt: at, updatedAt: at });
      // One statement, so two concurrent upserts cannot both insert; the first row's id
      // and created_at survive a replacement.
      const saved = await db
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
      return apps.fromRow(saved);
    },
    async getOAuthApp(tenantId, connectorId) {
      const row = await db.selectFrom('oauth_apps').selectAll().where('tenant_id', '=', tenantId).where('connector_id', '=', connectorId).executeTakeFirst();
      return row && apps.fromRow(row);
    },
    async listOAuthApps(tenantId) {
      const rows = await db.selectFrom('oauth_apps').selectAll().where('tenant_id', '=', tenantId).orderBy('connector_id').execute();
      return rows.map(apps.fromRow);
    },
    async deleteOAuthApp(tenantId, connectorId) {
      const result = await db.deleteFrom('oauth_apps').where('tenant_id', '=', tenantId).where('connector_id', '=', connectorId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async createOAuthPending(pending) {
      await db.insertInto('oauth_pending').values(pendings.toRow(pending)).execute();
    },
    async takeOAuthPending(stateHash, at) {
      // DELETE ... RETURNING: of two callbacks racing with the same state, one gets the
      // row. An expired row is consumed too (it can never become valid again).
      const row = await db.deleteFrom('oauth_pending').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
      return row !== undefined && row.expires_at > at ? pendings.fromRow(row) : undefined;
    },
  };
}
