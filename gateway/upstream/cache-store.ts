/**
 * Where cached responses live: keyv over a bounded in-process Map by default, or over
 * Redis (the hub's shared ioredis connection, redis-keyv-store.ts) when several hub nodes
 * should share entries (docs/caching.md "Redis"). A store failure never fails a call:
 * reads answer "nothing here", writes are dropped, and the error goes to `onError`.
 */
import { Keyv } from 'keyv';
import { errors, redactUrl } from '../../errors';
import { openSharedState, type SharedState } from '../state';
import { readyWithin, RedisKeyvStore } from './redis-keyv-store';

export const DEFAULT_CACHE_NAMESPACE = 'lunar-hub:cache';

export const DEFAULT_MEMORY_BOUNDS = Object.freeze({
  maxEntries: 10_000, // entries (responses and generation markers)
  maxBytes: 64 * 1_048_576, // characters of key + serialized value (bodies are base64), about bytes
});

/** How long the first calls wait for Redis to connect before going on without it. */
export const DEFAULT_REDIS_CONNECT_WAIT_MS = 2_000; // milliseconds

export interface CacheStoreOptions {
  /**
   * The hub's shared state (gateway/state): with Redis, entries go through its one
   * connection, which the store borrows and never closes; embedded: in-process memory.
   */
  shared?: SharedState;
  /**
   * `redis://` or `rediss://` URL for a connection of the store's own, closed with it (a
   * stage used on its own, tests); not together with `shared`. Neither: in-process memory.
   */
  redisUrl?: string;
  /** Key prefix in Redis (`<namespace>::<key>`) and in memory. */
  namespace?: string;
  /** Bounds of the in-process store; the least recently used entries go first. */
  memory?: { maxEntries?: number; maxBytes?: number };
  /** How long the first calls wait for Redis to connect before going on without it. */
  redisConnectWaitMs?: number;
  onError?: (error: unknown) => void;
}

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  getMany(keys: readonly string[]): Promise<Array<unknown>>;
  get(key: string): Promise<unknown>;
  /** `ttlMs` is required: nothing is stored for ever. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  setMany(entries: ReadonlyArray<{ key: string; value: unknown; ttlMs: number }>): Promise<void>;
  /** Every key of this namespace. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Map that keeps at most `maxEntries` entries and `maxBytes` characters, evicting
 * the least recently read or written first (a Map iterates in insertion order, and a
 * read re-inserts). keyv hands it serialized strings; expired entries it drops on read.
 */
export class BoundedMap extends Map<string, unknown> {
  #chars = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    super();
  }

  /** Characters held (keys + values), the unit of `maxBytes`. */
  get chars(): number {
    return this.#chars;
  }

  override get(key: string): unknown {
    if (!super.has(key)) return undefined;
    const value = super.get(key);
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: string, value: unknown): this {
    this.delete(key);
    const size = sizeOf(key, value);
    if (size > this.maxBytes) return this;
    super.set(key, value);
    this.#chars += size;
    for (const oldest of super.keys()) {
      if (this.size <= this.maxEntries && this.#chars <= this.maxBytes) break;
      this.delete(oldest);
    }
    return this;
  }

  override delete(key: string): boolean {
    if (!super.has(key)) return false;
    this.#chars -= sizeOf(key, super.get(key));
    return super.delete(key);
  }

  override clear(): void {
    this.#chars = 0;
    super.clear();
  }
}

function sizeOf(key: string, value: unknown): number {
  return key.length + (typeof value === 'string' ? value.length : JSON.stringify(value ?? null).length);
}

export function openCacheStore(options: CacheStoreOptions = {}): CacheStore {
  const namespace = options.namespace ?? DEFAULT_CACHE_NAMESPACE;
  if (typeof namespace !== 'string' || !/^[\w:.-]{1,100}$/.test(namespace)) {
    throw errors.CACHE_CONFIG([`namespace must be 1-100 characters of letters, digits, "_", ":", "." and "-" (got ${JSON.stringify(namespace)})`]);
  }
  const onError = options.onError ?? (() => {});
  if (options.shared !== undefined && options.redisUrl !== undefined) throw errors.CACHE_CONFIG(['give the shared state or a Redis URL, not both']);
  if (options.redisUrl === undefined && options.shared?.redis === undefined) return openMemory(namespace, options.memory ?? {}, onError);
  const waitMs = options.redisConnectWaitMs ?? DEFAULT_REDIS_CONNECT_WAIT_MS;
  if (!Number.isSafeInteger(waitMs) || waitMs < 0)
    throw errors.CACHE_CONFIG([`redisConnectWaitMs must be a whole number of milliseconds, 0 or more (got ${String(waitMs)})`]);
  if (options.shared !== undefined) return openRedis(options.shared, false, namespace, waitMs, onError);
  return openRedis(openOwnState(options.redisUrl!), true, namespace, waitMs, onError);
}

function openMemory(namespace: string, bounds: { maxEntries?: number; maxBytes?: number }, onError: (error: unknown) => void): CacheStore {
  const maxEntries = bounds.maxEntries ?? DEFAULT_MEMORY_BOUNDS.maxEntries;
  const maxBytes = bounds.maxBytes ?? DEFAULT_MEMORY_BOUNDS.maxBytes;
  for (const [name, value] of [
    ['memory.maxEntries', maxEntries],
    ['memory.maxBytes', maxBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw errors.CACHE_CONFIG([`${name} must be a whole number above 0 (got ${String(value)})`]);
  }
  const map = new BoundedMap(maxEntries, maxBytes);
  return wrap('memory', new Keyv({ store: map, namespace }), onError, async () => map.clear());
}

/** A connection of the store's own; a malformed URL is this cache's setting error, named as such. */
function openOwnState(url: string): SharedState {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw errors.CACHE_CONFIG([`the Redis URL ${redactUrl(url)} is not a redis:// or rediss:// URL`]);
  }
  return openSharedState({ redisUrl: url });
}

function openRedis(state: SharedState, owned: boolean, namespace: string, waitMs: number, onError: (error: unknown) => void): CacheStore {
  const redis = state.redis!;
  let waiting: Promise<void> | undefined = readyWithin(redis, waitMs).then(() => {
    waiting = undefined;
  });
  const keyv = new Keyv({ store: new RedisKeyvStore(redis, state.describe), namespace, useKeyPrefix: false });
  const store = wrap('redis', keyv, onError, async () => {
    if (!owned) return;
    try {
      await state.close();
    } catch (error) {
      onError(error);
    }
  });
  // The first calls wait (briefly) for the connection, so a fresh node does not start with misses.
  const ready = async () => {
    if (waiting) await waiting;
  };
  return {
    ...store,
    getMany: async (keys) => (await ready(), store.getMany(keys)),
    get: async (key) => (await ready(), store.get(key)),
    set: async (key, value, ttlMs) => (await ready(), store.set(key, value, ttlMs)),
    setMany: async (entries) => (await ready(), store.setMany(entries)),
    clear: async () => (await ready(), store.clear()),
  };
}

function wrap(kind: CacheStore['kind'], keyv: Keyv, onError: (error: unknown) => void, close: () => Promise<void>): CacheStore {
  keyv.on('error', onError);
  const guard = async <T>(fallback: T, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (error) {
      onError(error);
      return fallback;
    }
  };
  return {
    kind,
    getMany: (keys) =>
      guard<unknown[]>(
        keys.map(() => undefined),
        async () => (keys.length === 0 ? [] : ((await keyv.getMany([...keys])) as unknown[])),
      ),
    get: (key) => guard<unknown>(undefined, () => keyv.get(key)),
    set: (key, value, ttlMs) => guard(undefined, async () => void (await keyv.set(key, value, Math.max(1, Math.ceil(ttlMs))))),
    setMany: (entries) =>
      guard(undefined, async () => {
        if (entries.length > 0) await keyv.setMany(entries.map((e) => ({ key: e.key, value: e.value, ttl: Math.max(1, Math.ceil(e.ttlMs)) })));
      }),
    clear: () => guard(undefined, () => keyv.clear()),
    close: async () => {
      await close();
      keyv.removeAllListeners();
    },
  };
}
