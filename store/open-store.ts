/**
 * Choosing and opening the store: `storeConfigFrom` turns the store settings into a
 * config once at start, `openStore` builds the kysely dialect for it, checks that the database answers
 * and applies pending migrations. Only this file knows which driver is underneath.
 *
 * Failures to open name the store (the SQLite file, or the PostgreSQL URL with its
 * password replaced by `***`) and the reason, never the password: these messages reach
 * logs and the CLI.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DialectAdapter } from 'kysely';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { errors, redactUrl } from '../errors';
import type { StoreConfig } from './config';
import { postgresChangeFeed, postgresChannel, sqliteChangeFeed, type ChangeFeed } from './change-feed';
import { createKyselyStore, type Database, type HubStore } from './hub-store';
import { withReadCache } from './read-cache';

export { redactUrl };

const SQLITE_FILE = 'hub.sqlite';
const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];
/** Lower case only: `-c search_path=` folds unquoted names, `create schema` quotes them. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const SQLITE_BUSY_TIMEOUT = 5000; // ms a writer waits for another process's lock
const POSTGRES_CONNECT_TIMEOUT = 10_000; // ms, so a black-holed host fails instead of hanging start-up
const POSTGRES_POOL_SIZE = 10;

export interface OpenStoreOptions {
  log?: Logger;
}

/** The store's section of the hub's settings (`store.url` from LUNAR_DATABASE_URL, `store.schema` from LUNAR_DATABASE_SCHEMA). */
export interface StoreSettings {
  url?: string;
  schema?: string;
}

/**
 * `url` (postgres:// or postgresql://) selects PostgreSQL, in `schema` if given;
 * otherwise SQLite at `<dataDir>/hub.sqlite`, the data dir created private (0700) if
 * missing. Throws HUB_ERR_CONFIG_USAGE naming the setting and its variable.
 */
export function storeConfigFrom(dataDir: string, settings: StoreSettings = {}): StoreConfig {
  const url = settings.url?.trim() || undefined;
  const schema = settings.schema?.trim() || undefined;
  if (url === undefined) {
    if (schema !== undefined) {
      throw errors.CONFIG_USAGE(['store.schema (LUNAR_DATABASE_SCHEMA) is set but store.url (LUNAR_DATABASE_URL) is not: a schema applies to PostgreSQL only']);
    }
    const dir = path.resolve(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return { kind: 'sqlite', file: path.join(dir, SQLITE_FILE) };
  }
  checkPostgresUrl(url, 'store.url (LUNAR_DATABASE_URL)');
  if (schema === undefined) return { kind: 'postgres', url };
  checkSchemaName(schema, 'store.schema (LUNAR_DATABASE_SCHEMA)');
  return { kind: 'postgres', url, schema };
}

function checkPostgresUrl(url: string, source: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not echoed: an unparsable URL cannot be trusted to have its password found and hidden.
    throw errors.CONFIG_USAGE([`${source} is not a valid URL; expected postgres://user@host:port/database`]);
  }
  if (!POSTGRES_SCHEMES.includes(parsed.protocol)) {
    // Only the scheme is echoed: with an unknown scheme, what looks like a password is a guess.
    throw errors.CONFIG_USAGE([
      `${source} must be a postgres:// or postgresql:// URL (got a ${parsed.protocol} URL); leave it unset to use SQLite under the data dir`,
    ]);
  }
}

function checkSchemaName(schema: string, source: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw errors.CONFIG_USAGE([`${source} "${schema}" is not a valid schema name (lower-case letters, digits and _, at most 63)`]);
  }
}

function passwordOf(url: string): string | undefined {
  try {
    const { password } = new URL(url);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

function describeStore(config: StoreConfig): string {
  if (config.kind === 'sqlite') return `SQLite ${config.file}`;
  const schema = config.schema === undefined ? '' : `, schema ${config.schema}`;
  return `PostgreSQL ${redactUrl(config.url)}${schema}`;
}

/** A driver error's reason, with any trace of the password removed. */
function reasonOf(error: unknown, config: StoreConfig): string {
  const reason = rawReason(error);
  const password = config.kind === 'postgres' ? passwordOf(config.url) : undefined;
  if (password === undefined) return reason;
  return [password, safeDecode(password)].reduce((text, secret) => text.split(secret).join('***'), reason);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function rawReason(error: unknown): string {
  // Duck-typed, not instanceof: errors made by Node's net module come from another realm
  // under jest, and driver copies can differ.
  const { message, code, errors: parts } = (error ?? {}) as { message?: unknown; code?: unknown; errors?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  // Node's happy-eyeballs connect (localhost: ::1 and 127.0.0.1) fails with an
  // AggregateError whose own message is empty; the reasons are in its parts.
  if (Array.isArray(parts) && parts.length > 0) return parts.map(rawReason).join('; ');
  return typeof code === 'string' ? code : String(error);
}

/**
 * kysely runs SQLite migrations outside a transaction because some SQLite migrations
 * toggle pragmas that cannot change inside one. Ours do not, and SQLite's DDL is
 * transactional, so each batch of migrations (with its bookkeeping) is all or nothing
 * in both dialects.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class HubSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

interface Opened {
  db: Kysely<Database>;
  /** A first round trip: proves the database answers (and prepares it) before migrating. */
  ready(): Promise<void>;
  schema?: string;
  /** Made after migrating: what tells this process of other processes' writes (change-feed.ts). */
  changes(): ChangeFeed & { ready?: Promise<void> };
}

function openSqlite(file: string): Opened {
  // Created here, before SQLite does, so that it is private from the first byte: it holds
  // sealed secrets and key hashes. SQLite gives its -wal and -shm files the same mode.
  if (file !== ':memory:') closeSync(openSync(file, 'a', 0o600));
  // Each driver is loaded only by the store that uses it (start-up time of `stdio`).
  const Sqlite = require('better-sqlite3') as typeof BetterSqlite3;
  const database = new Sqlite(file);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT}`);
  } catch (error) {
    // e.g. "file is not a database": the handle would otherwise stay open.
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new HubSqliteDialect({ database }) });
  return { db, ready: async () => undefined, changes: () => sqliteChangeFeed(database) };
}

function openPostgres(config: Extract<StoreConfig, { kind: 'postgres' }>, log: Logger | undefined): Opened {
  const schema = config.schema ?? 'public';
  const { Pool: PgPool } = require('pg') as { Pool: typeof Pool };
  const pool = new PgPool({
    connectionString: config.url,
    max: POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT,
    // Every pooled connection starts in the store's schema, so the shared queries and
    // migrations stay unqualified.
    options: `-c search_path=${schema}`,
  });
  // An idle connection dropped by the server (restart, failover) is reported here;
  // unhandled, it would crash the process. The next query opens a new connection.
  pool.on('error', (error) => log?.warn({ store: describeStore(config), reason: reasonOf(error, config) }, 'store connection lost'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const ready = async () => {
    // `create schema` needs rights the default schema does not, so only a named one is created.
    const probe = config.schema === undefined ? sql`select 1` : sql`create schema if not exists ${sql.id(schema)}`;
    await probe.execute(db);
  };
  const channel = postgresChannel(config.schema);
  const changes = () =>
    postgresChangeFeed(
      { connectionString: config.url, connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT },
      channel,
      async (name) => {
        await sql`select pg_notify(${name}, '')`.execute(db);
      },
      log,
    );
  return { db, ready, schema, changes };
}

/** A config built in code (not from the environment) gets the same checks. */
function checkConfig(config: StoreConfig): void {
  if (config.kind === 'sqlite') return;
  checkPostgresUrl(config.url, 'The store URL');
  if (config.schema !== undefined) checkSchemaName(config.schema, 'The store schema');
}

/** Opens the store and brings its schema up to date. Throws HUB_ERR_STORE_UNAVAILABLE or _MIGRATION. */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<HubStore> {
  checkConfig(config);
  const unavailable = (error: unknown) => errors.STORE_UNAVAILABLE([describeStore(config), reasonOf(error, config)], { cause: error });
  let opened: Opened;
  try {
    opened = config.kind === 'sqlite' ? openSqlite(config.file) : openPostgres(config, options.log);
  } catch (error) {
    throw unavailable(error);
  }
  const store = createKyselyStore(opened.db, config.kind, { log: options.log, schema: opened.schema });
  try {
    await opened.ready().catch((error: unknown) => {
      throw unavailable(error);
    });
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  const feed = opened.changes();
  // The first lookups wait for LISTEN, so that no write made meanwhile goes unheard.
  await feed.ready;
  return withReadCache(store, feed);
}
