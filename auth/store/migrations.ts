/**
 * The store's schema, as an ordered list of versioned migrations kept in code (not
 * files read from disk, so that dist/ and bundled builds carry them). kysely's
 * `Migrator` applies the pending ones at start and records each in `kysely_migration`;
 * names sort in the order they must run, so a new migration is `002_...`, never an edit
 * of `001_initial` once it has shipped.
 *
 * The schema builder writes the same DDL for both dialects except where they cannot
 * agree: the boolean type and the audit's autoincrement id (`dialectTypes`).
 */
import {
  Migrator,
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import { errors } from '../../errors';
import type { HubStore } from './types';

export type StoreKind = HubStore['kind'];

type MigrationStep = (db: Kysely<unknown>, kind: StoreKind) => Promise<void>;

/** In order; the names are what `kysely_migration` records, so never rename one. */
const MIGRATIONS: ReadonlyArray<readonly [name: string, up: MigrationStep]> = [
  ['001_initial', initialSchema],
  ['002_quotas', quotas],
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1][0];

interface DialectTypes {
  boolean: 'integer' | 'boolean';
  serialType: 'integer' | 'bigint';
  serial(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

/** SQLite has no boolean type; PostgreSQL has no `autoincrement` (identity columns instead). */
function dialectTypes(kind: StoreKind): DialectTypes {
  return kind === 'sqlite'
    ? { boolean: 'integer', serialType: 'integer', serial: (column) => column.primaryKey().autoIncrement() }
    : { boolean: 'boolean', serialType: 'bigint', serial: (column) => column.primaryKey().generatedAlwaysAsIdentity() };
}

const required = (column: ColumnDefinitionBuilder) => column.notNull();
const primaryKey = (column: ColumnDefinitionBuilder) => column.primaryKey();
const ownedByTenant = (column: ColumnDefinitionBuilder) => column.notNull().references('tenants.id');

async function initialSchema(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
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
  await db.schema
    .createIndex('connections_tenant_connector_user')
    .on('connections')
    .columns(['tenant_id', 'connector_id', 'user_id'])
    .execute();

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

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly kind: StoreKind) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(MIGRATIONS.map(([name, up]) => [name, { up: (db: Kysely<unknown>) => up(db, this.kind) }]));
  }
}

/** Front-door quotas (calls per minute) for a tenant and for one agent key; null: none. */
async function quotas(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').addColumn('calls_per_minute', 'integer').execute();
  await db.schema.alterTable('agent_keys').addColumn('calls_per_minute', 'integer').execute();
}

export interface MigrationTarget {
  db: Kysely<unknown>;
  kind: StoreKind;
  /**
   * PostgreSQL only: the schema holding kysely's bookkeeping tables. Named explicitly
   * because kysely otherwise looks for `kysely_migration` in every schema, and would
   * take another schema's table (a test run's, say) for this store's.
   */
  schema?: string;
}

function migrator(target: MigrationTarget): Migrator {
  return new Migrator({ db: target.db, provider: new InCodeMigrations(target.kind), migrationTableSchema: target.schema });
}

/** Applies the pending migrations; returns their names. Throws HUB_ERR_STORE_MIGRATION. */
export async function runMigrations(target: MigrationTarget): Promise<string[]> {
  const { error, results = [] } = await migrator(target).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName ?? '(bookkeeping)';
    throw errors.STORE_MIGRATION([failed, (error as { message?: string } | null)?.message ?? String(error)], { cause: error });
  }
  return results.map((result) => result.migrationName);
}

/** The name of the last applied migration; undefined on an empty store. */
export async function schemaVersion(target: MigrationTarget): Promise<string | undefined> {
  const applied = (await migrator(target).getMigrations()).filter((migration) => migration.executedAt !== undefined);
  return applied[applied.length - 1]?.name;
}
