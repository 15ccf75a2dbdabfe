/**
 * The HTTP half's stages for one hub process, in their order (exchange.ts):
 * dedupe -> cache -> retry -> circuit breaker -> rate limit. With LUNAR_REDIS_URL the cache
 * entries and the rate-limit budgets are shared by every gateway node on that Redis.
 */
import type { Logger } from 'pino';
import type { SharedState } from '../state';
import { createCacheStage } from './cache';
import type { CachePurgeScope } from './cache-key';
import { createCircuitBreakerStage } from './circuit-breaker';
import { createDedupeStage } from './dedupe';
import type { ExchangeStage } from './exchange';
import { createRateLimitStage } from './rate-limit';
import { createRetryStage } from './retry';

export interface UpstreamStages {
  stages: readonly ExchangeStage[];
  /**
   * For a connection test (`POST /api/connections/:id/test`): the circuit breaker and the
   * rate limiter, without dedupe, cache or retries, so the test asks the upstream now, in
   * turn with the connection's calls and never while the upstream asked to be left alone.
   */
  probeStages: readonly ExchangeStage[];
  /** The admin purge (API): entries of a tenant, connection or connector; nothing given: all. */
  purgeCache(scope?: CachePurgeScope): Promise<void>;
  close(): Promise<void>;
}

export interface UpstreamStagesOptions {
  log: Logger;
  /** The hub's shared state: the cache and the limiters go through its Redis connection (which the hub closes, after these stages). */
  shared?: SharedState;
  cacheHashKey: Buffer;
  /** Of each configured rate, what this process may use without Redis (a worker of N: 1/N). */
  rateShare?: number;
}

/**
 * `cacheHashKey`: the key of the cache's HMACs (hub.ts derives it from the master key), the
 * same on every node, so that nodes sharing a Redis cache find each other's entries.
 */
export function createUpstreamStages(options: UpstreamStagesOptions): UpstreamStages {
  const { shared, log } = options;
  const cache = createCacheStage({
    ...(shared ? { shared } : {}),
    hashKey: options.cacheHashKey,
    onError: (error) => log.warn({ err: (error as Error).message, code: (error as { code?: unknown }).code }, 'cache store failed; calls go on uncached'),
  });
  const limit = createRateLimitStage({
    ...(shared?.redis ? { redis: shared.redis } : {}),
    ...(options.rateShare !== undefined ? { share: options.rateShare } : {}),
    onError: (error) => log.warn({ err: (error as Error).message, code: (error as { code?: unknown }).code }, 'rate limiter failed'),
  });
  const breaker = createCircuitBreakerStage();
  return {
    stages: [createDedupeStage(), cache.stage, createRetryStage(), breaker, limit.stage],
    probeStages: [breaker, limit.stage],
    purgeCache: (scope) => cache.purge(scope),
    async close() {
      await Promise.all([cache.close(), limit.close()]);
    },
  };
}
