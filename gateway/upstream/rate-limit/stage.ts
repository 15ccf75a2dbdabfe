/**
 * The rate-limit exchange stage (DESIGN.md stage 8): one ConnectorLimits per connector,
 * rebuilt when a reload changes its `rateLimit` section (the holds and learnt paces
 * kept), all on one limiter environment (bottleneck, and Redis when clustered).
 */
import type Redis from 'ioredis';
import { errors } from '../../../errors';
import { DEFAULT_UPSTREAM_POLICY, type RateLimitPolicy } from '../../core';
import type { ExchangeStage } from '../exchange';
import { ConnectorLimits } from './connector-limits';
import { isRedisUrl, LimiterEnv } from './environment';
import { hasRates } from './limiter-specs';
import { limiterClosed } from './refusals';

export interface RateLimitStageOptions {
  /** `redis://` or `rediss://` (LUNAR_REDIS_URL): limiters share their state with every process using the same Redis and `idPrefix`. */
  redisUrl?: string;
  /**
   * An open connection to use instead of `redisUrl` (the hub's shared one, gateway/state):
   * bottleneck runs its commands on it and subscribes on a duplicate; the stage closes the
   * duplicate, never this connection.
   */
  redis?: Redis;
  /** Starts every limiter id, hence every Redis key (`b_<idPrefix>:...`) and channel; default `lunar-hub`. */
  idPrefix?: string;
  /** Errors of the limiters or of Redis (the calls themselves are bounded by `maxWaitMs`); ignored by default. */
  onError?: (error: unknown) => void;
  /**
   * Without Redis: the part of each configured rate this process may use (one of N
   * workers of `serve --workers N`: 1/N), so that together they keep to the rate. 1 by default.
   */
  share?: number;
}

export interface RateLimitStage {
  stage: ExchangeStage;
  /** Stops the limiters (calls still waiting fail) and closes the Redis connection it opened. */
  close(): Promise<void>;
}

export function createRateLimitStage(options: RateLimitStageOptions = {}): RateLimitStage {
  const idPrefix = options.idPrefix ?? 'lunar-hub';
  if (!/^[\w.:-]{1,100}$/.test(idPrefix))
    throw errors.CONFIG_USAGE([`rate limiter idPrefix must be 1-100 characters of letters, digits, "_", ".", ":" and "-" (got ${JSON.stringify(idPrefix)})`]);
  if (options.redis === undefined && options.redisUrl !== undefined && !isRedisUrl(options.redisUrl)) {
    // The value may hold a password: it is not repeated.
    throw errors.CONFIG_USAGE(['LUNAR_REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379']);
  }
  const store = options.redis !== undefined ? { redis: options.redis } : options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {};
  const env = new LimiterEnv(idPrefix, store, options.onError ?? (() => {}), options.share ?? 1);
  const byConnector = new Map<string, ConnectorLimits>();
  // Policies are frozen per registry snapshot: each is serialised once, not per call.
  const signatures = new WeakMap<RateLimitPolicy, string>();

  function limitsFor(connectorId: string, policy: RateLimitPolicy): ConnectorLimits {
    let signature = signatures.get(policy);
    if (signature === undefined) {
      signature = JSON.stringify(policy);
      signatures.set(policy, signature);
    }
    let limits = byConnector.get(connectorId);
    if (limits?.signature !== signature) {
      // A reload changed the connector's limits: new limiters, the holds the upstream asked for kept.
      const previous = limits;
      limits = new ConnectorLimits(env, connectorId, policy, signature, previous?.holds, previous?.paces, previous?.windows);
      byConnector.set(connectorId, limits);
      previous?.retire();
    }
    return limits;
  }

  const stage: ExchangeStage = (next) => (request) => {
    const policy = (request.connector.policy ?? DEFAULT_UPSTREAM_POLICY).rateLimit;
    if (policy.headers === 'none' && !hasRates(policy.perConnection) && !hasRates(policy.perConnector) && Object.keys(policy.perOperation).length === 0)
      return next(request);
    if (env.closed) return Promise.reject(limiterClosed());
    return limitsFor(request.connector.id, policy).run(request, next);
  };

  return {
    stage,
    async close() {
      if (env.closed) return;
      env.closed = true;
      // With Redis down, the limiters would wait on it to stop: the connection goes first.
      const storeUp = env.storeReady;
      if (!storeUp) await env.close();
      await Promise.all([...byConnector.values()].map((limits) => limits.close(storeUp)));
      byConnector.clear();
      await env.close();
    },
  };
}
