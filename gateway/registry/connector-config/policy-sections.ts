/**
 * The upstream policy sections (`rateLimit`, `retry`, `cache`, `circuitBreaker`): their
 * schemas and how they are laid over DEFAULT_UPSTREAM_POLICY. Their type is core/policy.ts's.
 */
import { DEFAULT_UPSTREAM_POLICY, type RateLimitHeaders, type UpstreamPolicy } from '../../core';
import { HEADER_NAME, MAX_RESPONSE_BYTES, MAX_TIMEOUT_MS } from './limits';
import { whole } from './schema-parts';
import { dialectNames } from '../../upstream/rate-limit/dialects';

/** The rate-limit header dialects `rateLimit.headers` accepts: the one list of them. */
/** The registered rate-limit dialects (gateway/upstream/rate-limit/dialects). */
export const RATE_LIMIT_HEADERS: readonly RateLimitHeaders[] = dialectNames();

// Slower rates would need timers longer than Node's (2^31-1 ms, ~24.8 days), which then fire at once.
const rate = (min: number) => ({ type: 'number', minimum: min, maximum: 1_000_000, expected: `a number of requests from ${min} to 1000000` });
const rates = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with perSecond, perMinute, perHour and/or concurrency',
  properties: { perSecond: rate(0.001), perMinute: rate(0.001), perHour: rate(0.01), concurrency: whole('requests in flight', 1, 10_000) },
};
const rateLimit = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with perConnection, perConnector, perOperation, headers and/or maxWaitMs',
  properties: {
    perConnection: rates,
    perConnector: rates,
    perOperation: {
      type: 'object',
      expected: 'a mapping from operationId or "METHOD /path" to rates (perSecond, perMinute, perHour, concurrency)',
      additionalProperties: rates,
    },
    headers: { enum: [...RATE_LIMIT_HEADERS], expected: `one of ${RATE_LIMIT_HEADERS.join(', ')}` },
    maxWaitMs: whole('milliseconds', 0, MAX_TIMEOUT_MS),
  },
};
const retry = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with attempts, budgetMs, baseDelayMs, maxDelayMs and/or idempotencyHeader',
  properties: {
    attempts: whole('attempts', 1, 10),
    budgetMs: whole('milliseconds', 0, MAX_TIMEOUT_MS),
    baseDelayMs: whole('milliseconds', 1, 60_000),
    maxDelayMs: whole('milliseconds', 1, MAX_TIMEOUT_MS),
    idempotencyHeader: { type: 'string', pattern: HEADER_NAME.source, expected: 'a header name such as Idempotency-Key' },
  },
};
const cache = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with enabled, defaultTtlSeconds, maxTtlSeconds and/or maxEntryBytes',
  properties: {
    enabled: { type: 'boolean', expected: 'true or false' },
    defaultTtlSeconds: whole('seconds', 0, 31_536_000),
    maxTtlSeconds: whole('seconds', 0, 31_536_000),
    maxEntryBytes: whole('bytes', 1, MAX_RESPONSE_BYTES),
  },
};
const circuitBreaker = {
  type: 'object',
  additionalProperties: false,
  expected: 'a mapping with failures and/or coolDownMs',
  properties: { failures: whole('failures', 1, 1000), coolDownMs: whole('milliseconds', 1, MAX_TIMEOUT_MS) },
};

export const POLICY_SECTIONS: Readonly<Record<string, unknown>> = { rateLimit, retry, cache, circuitBreaker };

export type RawPolicy = { [K in keyof UpstreamPolicy]?: Partial<UpstreamPolicy[K]> };

export function resolvePolicy(raw: RawPolicy): UpstreamPolicy {
  const d = DEFAULT_UPSTREAM_POLICY;
  const retry = { ...d.retry, ...raw.retry };
  if (retry.idempotencyHeader !== undefined) retry.idempotencyHeader = retry.idempotencyHeader.toLowerCase();
  return {
    rateLimit: {
      ...d.rateLimit,
      ...raw.rateLimit,
      perConnection: { ...raw.rateLimit?.perConnection },
      perConnector: { ...raw.rateLimit?.perConnector },
      // Keys as written (operationIds or `METHOD /path`): load-connector/ resolves them against the spec.
      perOperation: Object.fromEntries(Object.entries(raw.rateLimit?.perOperation ?? {}).map(([entry, r]) => [entry, { ...r }])),
    },
    retry,
    cache: { ...d.cache, ...raw.cache },
    circuitBreaker: { ...d.circuitBreaker, ...raw.circuitBreaker },
  };
}
