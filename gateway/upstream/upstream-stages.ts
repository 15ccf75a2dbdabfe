/**
 * The HTTP half's stages for one hub process, in their order (exchange.ts):
 * cache -> retry -> circuit breaker -> rate limit. With LUNAR_REDIS_URL the cache
 * entries and the rate-limit budgets are shared by every gateway node on that Redis.
 */
import type { Logger } from 'pino';
import type { CachePurgeScope } from './cache-key';
import type { ExchangeStage } from './exchange';

export interface UpstreamStages {
  stages: readonly ExchangeStage[];
  /** The admin purge (API): entries of a tenant, connection or connector; nothing given: all. */
  purgeCache(scope?: CachePurgeScope): Promise<void>;
  close(): Promise<void>;
}

export function createUpstreamStages(options: { redisUrl?: string; log: Logger }): UpstreamStages {
  const { createCacheStage } = require('./cache') as typeof import('./cache');
  const { createRetryStage } = require('./retry') as typeof import('./retry');
  const { createCircuitBreakerStage } = require('./circuit-breaker') as typeof import('./circuit-breaker');
  const { createRateLimitStage } = require('./rate-limit') as typeof import('./rate-limit');
  const { redisUrl, log } = options;
  const cache = createCacheStage({ ...(redisUrl ? { redisUrl } : {}), onError: (error) => log.warn({ err: (error as Error).message }, 'cache store failed; calls go on uncached') });
  const limit = createRateLimitStage({ ...(redisUrl ? { redisUrl } : {}), onError: (error) => log.warn({ err: (error as Error).message }, 'rate limiter failed') });
  return {
    stages: [cache.stage, createRetryStage(), createCircuitBreakerStage(), limit.stage],
    purgeCache: (scope) => cache.purge(scope),
    async close() {
      await Promise.all([cache.close(), limit.close()]);
    },
  };
}
