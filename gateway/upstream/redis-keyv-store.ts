/**
 * keyv's store over the hub's one ioredis connection (gateway/state), so the hub talks to
 * Redis with one library. Hand-written rather than @keyv/redis because that adapter
 * brings node-redis, a second client and a second connection per hub; what keyv needs
 * of a store is six commands (GET, MGET, SET PX, UNLINK, EXISTS, SCAN).
 *
 * Keys are `<namespace>::<key>`, as @keyv/redis wrote them, so entries written before
 * the switch are still found. The connection is borrowed: the store never closes it.
 *
 * A store failure never fails a call: while the connection is not ready a command is
 * not queued behind the reconnect but answered at once as "nothing here" (reads) or
 * dropped (writes), and the failure is emitted once per outage (keyv passes `error`
 * events on), not once per call.
 */
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { errors } from '../../errors';

const SEPARATOR = '::';
const CLEAR_BATCH = 1_000; // keys per SCAN step and per UNLINK

export class RedisKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  /** keyv sets it to its own namespace. */
  namespace?: string;
  readonly opts: { dialect: 'redis' } = { dialect: 'redis' };
  #failing = false;

  /** `describe`: the Redis for messages, its password hidden (SharedState.describe). */
  constructor(
    private readonly redis: Redis,
    private readonly describe: string,
  ) {
    super();
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.#run(undefined, async (redis) => ((await redis.get(this.#key(key))) ?? undefined) as StoredData<Value> | undefined);
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const none = keys.map(() => undefined);
    if (keys.length === 0) return none;
    return this.#run<Array<StoredData<Value | undefined>>>(none, async (redis) =>
      (await redis.mget(keys.map((k) => this.#key(k)))).map((v) => (v ?? undefined) as StoredData<Value | undefined>),
    );
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    return this.#run(false, async (redis) => {
      const stored = typeof value === 'string' ? value : JSON.stringify(value);
      await (ttl !== undefined && ttl > 0 ? redis.set(this.#key(key), stored, 'PX', Math.ceil(ttl)) : redis.set(this.#key(key), stored));
      return true;
    });
  }

  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    if (entries.length === 0) return;
    await this.#run(undefined, async (redis) => {
      const batch = redis.multi();
      for (const { key, value, ttl } of entries) {
        const stored = typeof value === 'string' ? value : JSON.stringify(value);
        if (ttl !== undefined && ttl > 0) batch.set(this.#key(key), stored, 'PX', Math.ceil(ttl));
        else batch.set(this.#key(key), stored);
      }
      const replies = await batch.exec();
      const failed = replies?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    });
  }

  async delete(key: string): Promise<boolean> {
    return this.#run(false, async (redis) => (await redis.unlink(this.#key(key))) > 0);
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    return this.#run(false, async (redis) => (await redis.unlink(...keys.map((k) => this.#key(k)))) > 0);
  }

  async has(key: string): Promise<boolean> {
    return this.#run(false, async (redis) => (await redis.exists(this.#key(key))) > 0);
  }

  /** Every key of this namespace, by SCAN (never KEYS, which blocks a shared Redis); other namespaces are untouched. */
  async clear(): Promise<void> {
    await this.#run(undefined, async (redis) => {
      // The namespace is checked to be `[\w:.-]` (cache-store.ts): no glob character to escape.
      const pattern = `${this.namespace ?? ''}${SEPARATOR}*`;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', CLEAR_BATCH);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    });
  }

  /** The connection is the hub's: nothing to close here. */
  async disconnect(): Promise<void> {}

  #key(key: string): string {
    return this.namespace ? `${this.namespace}${SEPARATOR}${key}` : key;
  }

  async #run<T>(fallback: T, command: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      if (this.redis.status !== 'ready') throw new Error(`not connected (${this.redis.status})`);
      const result = await command(this.redis);
      this.#failing = false;
      return result;
    } catch (error) {
      if (!this.#failing) {
        this.#failing = true;
        this.emit('error', errors.CACHE_UNAVAILABLE([this.describe, (error as Error)?.message ?? String(error)], { cause: error }));
      }
      return fallback;
    }
  }
}

/** Resolves when the connection is ready or after `ms`, whichever comes first; leaves no listener behind. */
export function readyWithin(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.on('ready', done);
  });
}
