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
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { errors } from '../../errors';
import type { StoreKind } from '../config';
import { initialSchema } from './001-initial';
import { quotas } from './002-quotas';
import { tasks } from './003-tasks';

type MigrationStep = (db: Kysely<unknown>, kind: StoreKind) => Promise<void>;

/** In order; the names are what `kysely_migration` records, so never rename one. */
const MIGRATIONS: ReadonlyArray<readonly [name: string, up: MigrationStep]> = [
  ['001_initial', initialSchema],
  ['002_quotas', quotas],
  ['003_tasks', tasks],
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1][0];

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly kind: StoreKind) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(MIGRATIONS.map(([name, up]) => [name, { up: (db: Kysely<unknown>) => up(db, this.kind) }]));
  }
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
