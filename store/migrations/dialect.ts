/** Where the two dialects' DDL cannot agree, and the column shapes every table uses. */
import type { ColumnDefinitionBuilder } from 'kysely';
import type { StoreKind } from '../config';

export interface DialectTypes {
  boolean: 'integer' | 'boolean';
  serialType: 'integer' | 'bigint';
  serial(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

/** SQLite has no boolean type; PostgreSQL has no `autoincrement` (identity columns instead). */
export function dialectTypes(kind: StoreKind): DialectTypes {
  return kind === 'sqlite'
    ? { boolean: 'integer', serialType: 'integer', serial: (column) => column.primaryKey().autoIncrement() }
    : { boolean: 'boolean', serialType: 'bigint', serial: (column) => column.primaryKey().generatedAlwaysAsIdentity() };
}

export const required = (column: ColumnDefinitionBuilder) => column.notNull();
export const primaryKey = (column: ColumnDefinitionBuilder) => column.primaryKey();
export const ownedByTenant = (column: ColumnDefinitionBuilder) => column.notNull().references('tenants.id');
