/**
 * The hub's durable state behind one interface, the composition of one store per
 * aggregate (tenants, admins, OAuth apps and pending authorisations, connections, agent
 * keys, the audit trail, sealed values, tasks). Two dialects share every line of SQL through
 * kysely: SQLite (the embedded default, a file under the data dir) and PostgreSQL (by
 * configuration); openStore (open-store.ts) builds the dialect and hands the Kysely
 * instance here.
 *
 * Secrets arrive here already sealed (`Sealed` strings made by auth/crypto): the store
 * never sees plaintext and never decrypts. Key hashes (agent keys, admin sessions)
 * likewise arrive hashed.
 *
 * Tenant isolation starts here: every read or write of a tenant-owned row takes the
 * tenant id and filters on it, so a caller holding tenant A's id cannot reach B's rows
 * even with B's row ids.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { adminQueries, type AdminStore, type AdminTables } from './admins';
import { agentKeyQueries, type AgentKeyStore, type AgentKeyTables } from './agent-keys';
import { auditQueries, type AuditStore, type AuditTables } from './audit';
import type { StoreKind } from './config';
import { connectionQueries, type ConnectionStore, type ConnectionTables } from './connections';
import { runMigrations, schemaVersion, type MigrationTarget } from './migrations';
import { oauthQueries, type OAuthStore, type OAuthTables } from './oauth';
import { sealedValueQueries, type SealedValueStore } from './sealed-values';
import { taskQueries, type TaskStore, type TaskTables } from './tasks';
import { tenantQueries, type TenantStore, type TenantTables } from './tenants';

/** Every table, as kysely sees it (snake_case, one interface per table). */
export type Database = TenantTables & AdminTables & OAuthTables & ConnectionTables & AgentKeyTables & AuditTables & TaskTables;

export interface StoreLifecycle {
  readonly kind: StoreKind;
  /** Applies pending migrations (versioned, in order, each in a transaction). Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type HubStore = StoreLifecycle & TenantStore & AdminStore & OAuthStore & ConnectionStore & AgentKeyStore & AuditStore & SealedValueStore & TaskStore;

export interface KyselyStore extends HubStore {
  /** The last applied migration (`001_initial`...), for status pages and tests. */
  schemaVersion(): Promise<string | undefined>;
}

export interface KyselyStoreOptions {
  log?: Logger;
  /** PostgreSQL: the schema the store lives in (see MigrationTarget.schema). */
  schema?: string;
}

/**
 * Each aggregate gets a view of its own tables only, so none can query another's. A cast:
 * kysely's `Kysely<DB>` is invariant in DB, though a narrower view is safe to use.
 */
function tables<K extends keyof Database>(db: Kysely<Database>): Kysely<Pick<Database, K>> {
  return db as unknown as Kysely<Pick<Database, K>>;
}

export function createKyselyStore(db: Kysely<Database>, kind: StoreKind, options: KyselyStoreOptions = {}): KyselyStore {
  const migrations: MigrationTarget = { db: db as Kysely<unknown>, kind, schema: options.schema };
  return {
    kind,
    async migrate() {
      const applied = await runMigrations(migrations);
      if (applied.length > 0) options.log?.info({ store: kind, applied }, 'store schema migrated');
    },
    schemaVersion: () => schemaVersion(migrations),
    close: () => db.destroy(),
    ...tenantQueries(tables<'tenants'>(db)),
    ...adminQueries(tables<'admin_users' | 'admin_sessions'>(db)),
    ...oauthQueries(tables<'oauth_apps' | 'oauth_pending'>(db)),
    ...connectionQueries(tables<'connections'>(db)),
    ...agentKeyQueries(tables<'agent_keys'>(db)),
    ...auditQueries(tables<'audit'>(db)),
    ...sealedValueQueries(db as Kysely<unknown>),
    ...taskQueries(tables<'tasks'>(db)),
  };
}
