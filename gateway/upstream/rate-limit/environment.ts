/**
 * What every connector's limiters share: bottleneck itself (loaded with the first
 * limiter: a hub without limits never loads it), the id prefix, and the Redis
 * connection that clusters them (bottleneck's `IORedisConnection`, one for all
 * limiters), either opened here from a URL or the hub's shared one (gateway/state),
 * which the limiters use and never close.
 */
import type Bottleneck from 'bottleneck';
import type Redis from 'ioredis';
import { loadBottleneck } from './bottleneck-loader';

type BottleneckClass = typeof Bottleneck;

export class LimiterEnv {
  closed = false;
  private bottleneck?: BottleneckClass;
  private connection?: Bottleneck.IORedisConnection;
  private client?: Redis;
  /** The error Redis failed with, until it is ready again. */
  private storeError?: unknown;
  /** Told of each Redis failure: the calls waiting on it stop waiting. */
  readonly storeListeners = new Set<(error: unknown) => void>();

  constructor(
    readonly idPrefix: string,
    private readonly store: { redisUrl?: string; redis?: Redis },
    readonly onError: (error: unknown) => void,
    /** Of each configured rate, what this process may use when the limiters are not in Redis. */
    readonly share = 1,
  ) {}

  get Bottleneck(): BottleneckClass {
    this.bottleneck ??= loadBottleneck();
    return this.bottleneck;
  }

  get clustered(): boolean {
    return this.store.redisUrl !== undefined || this.store.redis !== undefined;
  }

  /** Options that put a limiter in Redis (one shared connection), or nothing for a local one. */
  storeOptions(): Bottleneck.ConstructorOptions {
    if (!this.clustered) return {};
    if (!this.connection) {
      const RedisClient = require('ioredis') as typeof Redis;
      // Few retries per command: with Redis down a call fails with a coded error instead of queueing.
      this.client = this.store.redis ?? new RedisClient(this.store.redisUrl!, { maxRetriesPerRequest: 2 });
      this.connection = new this.Bottleneck.IORedisConnection({
        client: this.store.redis !== undefined ? eager(this.store.redis, this.onError) : this.client,
        Redis: RedisClient,
      });
      this.connection.on('error', (error: unknown) => {
        // ioredis reports each failed reconnection: one report per outage is enough.
        if (this.storeError === undefined) this.onError(error);
        this.storeError = error;
        for (const listener of this.storeListeners) listener(error);
      });
      this.client.on('ready', () => {
        this.storeError = undefined;
      });
    }
    return { datastore: 'ioredis', connection: this.connection };
  }

  /** Redis answers (or there is no Redis). */
  get storeReady(): boolean {
    return this.client === undefined || this.client.status === 'ready';
  }

  /** Why Redis cannot be used now: it failed and has not come back; undefined while it answers or still connects the first time. */
  get storeDown(): unknown {
    return this.client !== undefined && this.client.status !== 'ready' ? this.storeError : undefined;
  }

  /**
   * Quits Redis politely when it answers; drops the connection at once when it does not
   * (a QUIT would wait for it). A shared connection stays open: only the subscriber
   * bottleneck duplicated from it goes.
   */
  async close(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    if (this.store.redis !== undefined) {
      const subscriber = (connection as unknown as { subscriber?: Redis }).subscriber;
      if (subscriber === undefined) return;
      if (this.storeReady) await subscriber.quit().catch(() => subscriber.disconnect());
      else subscriber.disconnect();
      return;
    }
    if (this.storeReady) await connection.disconnect(true).catch(() => connection.disconnect(false));
    else await connection.disconnect(false);
  }
}

export function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * A shared connection as bottleneck needs it: bottleneck waits for its "ready" and for
 * that of the subscriber it duplicates from it, so a connection made with `lazyConnect`
 * (as the hub's may be) is connected now, and its duplicate is not lazy.
 */
function eager(client: Redis, onError: (error: unknown) => void): Redis {
  if (client.status === 'wait') client.connect().catch(onError);
  return new Proxy(client, {
    get(target, property) {
      if (property === 'duplicate') return (override?: object) => target.duplicate({ ...override, lazyConnect: false });
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
