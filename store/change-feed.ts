/**
 * How a process learns that another one changed the rows its read cache holds (agent
 * keys, tenants, connections): a generation number that moves whenever they may have
 * changed, read on every cached lookup, so a key revoked by `lunar-hub keys revoke`, the
 * admin API or another worker is refused on its next request.
 *
 * - SQLite (one file, any number of processes): `PRAGMA data_version` tells, without
 *   touching the disk, whether another connection committed since the last look; only
 *   then is `PRAGMA user_version` read, which writers of cached rows set to a fresh
 *   random value. Audit batches from other workers move data_version but not
 *   user_version, so they cost one extra pragma, not a cache flush. user_version is
 *   free: the migrations keep their own table.
 * - PostgreSQL (several nodes): LISTEN/NOTIFY on a channel per schema. A notification
 *   arrives a few milliseconds after the writer commits; while the listening connection
 *   is down the generation moves on every look, which turns the cache off until it is
 *   back rather than serving what may be stale.
 */
import { randomInt } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Client, ClientConfig } from 'pg';
import type { Logger } from 'pino';

export interface ChangeFeed {
  /** Cheap and synchronous: a new number means cached rows may be stale. */
  generation(): number;
  /** Cached rows changed here: this process's cache and every other process's are told. */
  announce(): Promise<void>;
  close(): Promise<void>;
}

export function sqliteChangeFeed(database: BetterSqlite3.Database): ChangeFeed {
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  const userVersion = database.prepare('PRAGMA user_version').pluck();
  let generation = 0;
  let seenData = dataVersion.get() as number;
  let seenUser = userVersion.get() as number;
  return {
    generation() {
      if (!database.open) return ++generation;
      const data = dataVersion.get() as number;
      if (data !== seenData) {
        seenData = data;
        const user = userVersion.get() as number;
        if (user !== seenUser) {
          seenUser = user;
          generation += 1;
        }
      }
      return generation;
    },
    async announce() {
      generation += 1;
      // Random, not incremented: two writers reading the same value and both adding one
      // would leave it where a third process had already seen it.
      let next = randomInt(1, 2 ** 31 - 1);
      if (next === seenUser) next = next === 1 ? 2 : next - 1;
      seenUser = next;
      // A pragma takes no parameters; `next` is an integer made here.
      database.pragma(`user_version = ${next}`);
    },
    async close() {},
  };
}

/** A notification channel name is an identifier: one per schema, so two stores in one database stay apart. */
export function postgresChannel(schema: string | undefined): string {
  // 63 bytes at most, PostgreSQL's identifier length; schema names are checked lower-case words.
  return `lsh_changes_${schema ?? 'public'}`.slice(0, 63);
}

export function postgresChangeFeed(
  connect: ClientConfig,
  channel: string,
  notify: (channel: string) => Promise<void>,
  log: Logger | undefined,
): ChangeFeed & { ready: Promise<void> } {
  const { Client: PgClient } = require('pg') as { Client: typeof Client };
  let generation = 0;
  let listening = false;
  let closed = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    const next = new PgClient(connect);
    client = next;
    next.on('notification', () => {
      generation += 1;
    });
    next.on('error', (error: Error) => {
      listening = false;
      log?.warn({ reason: error.message }, 'store change feed lost; lookups go to the store until it is back');
      next.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1_000);
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    // Whatever changed while nobody listened.
    generation += 1;
    listening = true;
  };

  const ready = listen().catch((error: Error) => {
    log?.warn({ reason: error.message }, 'store change feed not started; lookups go to the store');
    if (!closed) retry = setTimeout(() => void listen().catch(() => undefined), 1_000);
  });
  return {
    ready,
    generation: () => (listening ? generation : ++generation),
    async announce() {
      generation += 1;
      await notify(channel);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      listening = false;
      await client?.end().catch(() => undefined);
    },
  };
}
