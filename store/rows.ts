/**
 * Rows and objects, mapped once per table: an aggregate declares, for each property of
 * its object, the column that holds it (and a codec where the value changes shape), and
 * both directions (row -> object, object -> row) follow from that one declaration.
 *
 * The codecs absorb every difference between the dialects, so the queries are shared:
 * - booleans: SQLite has none, so both dialects are written 0/1 (PostgreSQL's boolean
 *   input accepts '1'/'0') and read back as 0/1 (SQLite) or true/false (PostgreSQL);
 * - bigint ids and counts: PostgreSQL returns them as strings;
 * - string arrays: JSON text in both, so no array or JSON type is needed.
 */
import type { ColumnType, Insertable, Selectable } from 'kysely';

/** A value sealed by auth/crypto (`v1.<keyId>.<iv>.<tag>.<ciphertext>`, base64url). Opaque here. */
export type Sealed = string;

/** ISO-8601 UTC timestamps everywhere (`new Date().toISOString()`), in both databases. */
export type Timestamp = string;

/** Written as 0/1 in both dialects; read back as 0/1 (SQLite) or a boolean (PostgreSQL). */
export type BooleanColumn = ColumnType<boolean | number, number, number>;
/** A string[] stored as JSON text. */
export type StringArrayColumn = string;

export function now(): Timestamp {
  return new Date().toISOString();
}

export function toDbBoolean(value: boolean): number {
  return value ? 1 : 0;
}

/** How one property is kept in one column when the two differ in shape. */
export interface Codec<Table, Value> {
  column: keyof Table & string;
  read(value: never): Value;
  /** Absent: the database assigns the column (an identity id) and it is never written. */
  write?(value: Value): unknown;
}

type Field<Table, Value> = (keyof Table & string) | Codec<Table, Value>;

export type Fields<T, Table> = { readonly [K in keyof T]-?: Field<Table, T[K]> };

export interface RowMapping<T, Table, Generated extends keyof T = never> {
  fromRow(row: Selectable<Table>): T;
  toRow(value: Omit<T, Generated>): Insertable<Table>;
}

export function rowMapping<T, Table, Generated extends keyof T = never>(fields: Fields<T, Table>): RowMapping<T, Table, Generated> {
  const same = (value: unknown) => value;
  const columns = Object.entries(fields as Record<string, Field<Table, unknown>>).map(([property, field]) =>
    typeof field === 'string'
      ? { property, column: field, read: same, write: same as ((value: unknown) => unknown) | undefined }
      : { property, column: field.column, read: field.read as (value: unknown) => unknown, write: field.write },
  );
  return {
    fromRow: (row) => Object.fromEntries(columns.map(({ property, column, read }) => [property, read((row as Record<string, unknown>)[column])])) as T,
    toRow: (value) =>
      Object.fromEntries(
        columns.flatMap(({ property, column, write }) => (write ? [[column, write((value as Record<string, unknown>)[property])]] : [])),
      ) as Insertable<Table>,
  };
}

export function booleanColumn<Table>(column: keyof Table & string): Codec<Table, boolean> {
  return { column, read: (value: boolean | number) => value === true || value === 1, write: toDbBoolean };
}

export function stringsColumn<Table>(column: keyof Table & string): Codec<Table, string[]> {
  return { column, read: (text: string) => JSON.parse(text) as string[], write: (values) => JSON.stringify(values) };
}

/** A column added by a later migration: rows of drivers that leave it out read as null. */
export function nullableColumn<Table, Value>(column: keyof Table & string): Codec<Table, Value | null> {
  return { column, read: (value: Value | null | undefined) => value ?? null, write: (value) => value };
}

/** An id the database assigns; PostgreSQL's bigint arrives as a string. */
export function generatedIdColumn<Table>(column: keyof Table & string): Codec<Table, number> {
  return { column, read: (value: number | string) => Number(value) };
}
