import type { Kysely } from 'kysely';
import type { StoreKind } from '../config';
import { dialectTypes, ownedByTenant, primaryKey, required } from './dialect';

export async function initialSchema(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  const types = dialectTypes(kind);

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', primaryKey)
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('created_at', 'text', required)
    .execute();

  await db.schema
    .createTable('admin_users')
    .addColumn('id', 'text', primaryKey)
    .addColumn('username', 'text', (column) => column.notNull().unique())
    .addColumn('password_hash', 'text', required)
    // Nullable: a hub-wide admin belongs to no tenant.
    .addColumn('tenant_id', 'text', (column) => column.references('tenants.id'))
    .addColumn('created_at', 'text', required)
    .addColumn('disabled_at', 'text')
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('token_hash', 'text', primaryKey)
    .addColumn('admin_id', 'text', (column) => column.notNull().references('admin_users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', required)
    .addColumn('expires_at', 'text', required)
    .execute();

  await db.schema
    .createTable('oauth_apps')
    .addColumn('id', 'text', primaryKey)
    .addColumn('tenant_id', 'text', ownedByTenant)
    .addColumn('connector_id', 'text', required)
    .addColumn('client_id', 'text', required)
    .addColumn('client_secret', 'text')
    .addColumn('scopes', 'text', required)
    .addColumn('redirect_uri', 'text', required)
    .addColumn('created_at', 'text', required)
    .addColumn('updated_at', 'text', required)
    // The target of upsertOAuthApp's `on conflict`: one app per tenant and connector.
    .addUniqueConstraint('oauth_apps_tenant_connector', ['tenant_id', 'connector_id'])
    .execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'text', primaryKey)
    .addColumn('tenant_id', 'text', ownedByTenant)
    .addColumn('connector_id', 'text', required)
    .addColumn('user_id', 'text')
    .addColumn('kind', 'text', required)
    .addColumn('status', 'text', required)
    .addColumn('shared', types.boolean, required)
    .addColumn('label', 'text')
    .addColumn('secret', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('version', 'integer', required)
    .addColumn('created_at', 'text', required)
    .addColumn('updated_at', 'text', required)
    // Redundant as a key (id alone is unique), there as the target of oauth_pending's
    // foreign key, so that a pending authorisation can only complete its own tenant's row.
    .addUniqueConstraint('connections_id_tenant', ['id', 'tenant_id'])
    .execute();
  // findConnectionFor's lookup, on every tool call.
  await db.schema.createIndex('connections_tenant_connector_user').on('connections').columns(['tenant_id', 'connector_id', 'user_id']).execute();

  await db.schema
    .createTable('oauth_pending')
    .addColumn('state_hash', 'text', primaryKey)
    .addColumn('tenant_id', 'text', ownedByTenant)
    .addColumn('connector_id', 'text', required)
    .addColumn('user_id', 'text')
    .addColumn('connection_id', 'text', required)
    .addColumn('verifier', 'text', required)
    .addColumn('redirect_uri', 'text', required)
    .addColumn('created_at', 'text', required)
    .addColumn('expires_at', 'text', required)
    .addForeignKeyConstraint('oauth_pending_connection', ['connection_id', 'tenant_id'], 'connections', ['id', 'tenant_id'])
    .execute();

  await db.schema
    .createTable('agent_keys')
    .addColumn('id', 'text', primaryKey)
    .addColumn('tenant_id', 'text', ownedByTenant)
    .addColumn('user_id', 'text')
    .addColumn('name', 'text', required)
    // Unique: the hash is how a presented key is found, and must name one row.
    .addColumn('key_hash', 'text', (column) => column.notNull().unique())
    .addColumn('prefix', 'text', required)
    .addColumn('toolsets', 'text', required)
    .addColumn('read_only', types.boolean, required)
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('created_at', 'text', required)
    .execute();
  await db.schema.createIndex('agent_keys_tenant').on('agent_keys').column('tenant_id').execute();

  await db.schema
    .createTable('audit')
    .addColumn('id', types.serialType, types.serial)
    .addColumn('at', 'text', required)
    // Nullable: hub-wide events (a hub admin's login) belong to no tenant.
    .addColumn('tenant_id', 'text', (column) => column.references('tenants.id'))
    .addColumn('actor_kind', 'text', required)
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', required)
    .addColumn('tool', 'text')
    .addColumn('connector_id', 'text')
    .addColumn('connection_id', 'text')
    .addColumn('credential_owner', 'text')
    .addColumn('upstream_status', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('outcome', 'text', required)
    .addColumn('detail', 'text')
    .execute();
  // The admin UI's audit views: by time, by actor, by tool, always within a tenant.
  for (const [name, column] of [
    ['audit_tenant_at', 'at'],
    ['audit_tenant_actor', 'actor_id'],
    ['audit_tenant_tool', 'tool'],
  ] as const) {
    await db.schema.createIndex(name).on('audit').columns(['tenant_id', column]).execute();
  }
}
