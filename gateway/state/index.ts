/**
 * The hub's shared state across gateway nodes: one Redis command connection (ioredis)
 * for the cache, the rate limiters and the quotas, plus one connection for what
 * pub/sub needs (a subscribed connection can send nothing else), made on first use.
 * Without a Redis URL the hub is embedded: every consumer keeps its state in process.
 *
 * One instance per hub (never a module global), so that two hubs can run in one process
 * (tests) and a plugin can be given its own.
 */
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { errors, redactUrl } from '../../errors';

export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /** For messages: the URL with any password hidden. */
  readonly describe: string;
  /** The one command connection; absent when embedded. */
  readonly redis?: Redis;
  /** A connection for SUBSCRIBE, made on first call (Redis only). */
  subscriber(): Redis;
  /** Closes what was opened; consumers close their own users of the connection first. */
  close(): Promise<void>;
}

export interface SharedStateOptions {
  /** `redis://` or `rediss://`; absent: embedded, in process. */
  redisUrl?: string;
}

/** Commands fail at once while Redis is away (a cache miss, a coded refusal) instead of queueing behind a reconnect. */
const CONNECTION: RedisOptions = {
  lazyConnect: false,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  retryStrategy: (times) => Math.min(times * 100, 2_000),
};

export function openSharedState(options: SharedStateOptions = {}): SharedState {
  const url = options.redisUrl?.trim() || undefined;
  if (url === undefined) return embedded();
  if (!isRedisUrl(url))
    throw errors.CONFIG_USAGE([`redis.url (LUNAR_REDIS_URL) must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, not ${redactUrl(url)}`]);
  // Loaded only with Redis configured: a single-node hub never pays for the client.
  const RedisClient = require('ioredis') as typeof Redis;
  const redis = new RedisClient(url, CONNECTION);
  // Without a listener ioredis prints every reconnect failure itself; consumers report failed commands.
  redis.on('error', () => undefined);
  let subscriber: Redis | undefined;
  return {
    kind: 'redis',
    describe: redactUrl(url),
    redis,
    subscriber() {
      if (!subscriber) {
        subscriber = redis.duplicate();
        subscriber.on('error', () => undefined);
      }
      return subscriber;
    },
    async close() {
      await Promise.all([redis, ...(subscriber ? [subscriber] : [])].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

function embedded(): SharedState {
  return {
    kind: 'memory',
    describe: 'in process',
    subscriber() {
      throw new Error('an embedded hub has no Redis to subscribe to');
    },
    async close() {},
  };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}
