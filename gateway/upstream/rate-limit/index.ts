/**
 * Rate limits (DESIGN.md stage 8): the upstream's rules as bottleneck limiters and
 * paces, kept in step with what its responses say, shared across gateway processes
 * through Redis (Octokit `plugin-throttling`: bottleneck, fed by Retry-After and
 * x-ratelimit-*). docs/limits.md is the user's account of what it does.
 *
 *   stage.ts             the exchange stage: one ConnectorLimits per connector version
 *   connector-limits.ts  a call's way through holds, paces and limiters; what its answer teaches
 *   limiters.ts          the file's rates as bottleneck limiters (per connection, operation, connector)
 *   limiter-specs.ts     a rate -> bottleneck settings, and how long a call would wait behind them
 *   environment.ts       bottleneck itself and the Redis connection the limiters share
 *   holds.ts             pauses the upstream asked for, by connection (or a dialect's finer key)
 *   pace.ts              evenly spaced departures (one number); configured-pace.ts, learned-pace.ts
 *   limit-headers.ts     what a response says about the upstream's limit: the generic signals, then its dialect's
 *   dialects/            one file per upstream family (github, slack...), one registration line each in dialects/index.ts
 *   keys.ts, turn.ts, refusals.ts, words.ts: whose budget, a bounded wait, the coded refusals, their words
 */
export { createRateLimitStage, type RateLimitStage, type RateLimitStageOptions } from './stage';
export { limiterSpecs, type LimiterSpec } from './limiter-specs';
export { limitKey } from './keys';
export {
  GITHUB_SECONDARY_DEFAULT_MS,
  header,
  readGenericLimits,
  readLimitHeaders,
  readResponseLimits,
  readRetryAfter,
  waitFromLimits,
  type LimitInfo,
} from './limit-headers';
export { dialectNames, rateLimitDialect, type RateLimitDialect } from './dialects';
