/** Every sealed value in the store, listed and replaced across tables: what master-key rotation needs. */
import { sql, type Kysely } from 'kysely';
import { errors } from '../errors';
import type { Sealed } from './rows';

export interface SealedValueRef {
  table: 'oauth_apps' | 'connections' | 'oauth_pending';
  /** Row id (state hash for oauth_pending). */
  id: string;
  column: 'client_secret' | 'secret' | 'verifier';
  value: Sealed;
}

export interface SealedValueStore {
  /** Every sealed value, for master-key rotation. */
  listSealedValues(): Promise<SealedValueRef[]>;
  /**
   * Replace sealed values in one transaction: all or nothing. Each ref's `value` must
   * still be the stored one (else the whole batch fails with HUB_ERR_STORE_CONFLICT).
   */
  replaceSealedValues(changes: Array<{ ref: SealedValueRef; value: Sealed }>): Promise<void>;
}

/** Where each sealed value lives: the table's key column and its one sealed column. */
const SEALED_COLUMNS = {
  oauth_apps: { key: 'id', column: 'client_secret' },
  connections: { key: 'id', column: 'secret' },
  oauth_pending: { key: 'state_hash', column: 'verifier' },
} as const satisfies Record<SealedValueRef['table'], { key: string; column: SealedValueRef['column'] }>;

const SEALED_TABLES = Object.keys(SEALED_COLUMNS) as Array<SealedValueRef['table']>;

function sealedColumn(ref: SealedValueRef): (typeof SEALED_COLUMNS)[SealedValueRef['table']] {
  const where = SEALED_COLUMNS[ref.table];
  // The ref's type allows any table/column pair; only the real ones may reach the SQL.
  if (where === undefined || where.column !== ref.column) {
    throw errors.INTERNAL([`${ref.table}.${ref.column} holds no sealed value`]);
  }
  return where;
}

export function sealedValueQueries(db: Kysely<unknown>): SealedValueStore {
  const valuesIn = async (table: SealedValueRef['table']): Promise<SealedValueRef[]> => {
    const { key, column } = SEALED_COLUMNS[table];
    // Table and column names come from SEALED_COLUMNS, never from a caller.
    const { rows } = await sql<{ id: string; value: Sealed }>`
      select ${sql.ref(key)} as id, ${sql.ref(column)} as value from ${sql.table(table)}
      where ${sql.ref(column)} is not null order by ${sql.ref(key)}`.execute(db);
    return rows.map(({ id, value }) => ({ table, id, column, value }));
  };
  return {
    async listSealedValues() {
      const perTable = await Promise.all(SEALED_TABLES.map(valuesIn));
      return perTable.flat();
    },
    async replaceSealedValues(changes) {
      await db.transaction().execute(async (trx) => {
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
    },
  };
}
