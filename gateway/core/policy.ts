/**
 * A connector's upstream policies: rate limits, retries, caching and the circuit
 * breaker, from its connector file's `rateLimit`, `retry`, `cache` and `circuitBreaker`
 * sections (docs/connectors.md), defaults in one frozen object with units in comments.
 */

export interface Rates {
  perSecond?: number;
  perMinute?: number;
  perHour?: number;
  /** Requests in flight at once. */
  concurrency?: number;
}

/**
 * The rate-limit dialect the upstream speaks: the name of one registered in
 * gateway/upstream/rate-limit/dialects (`standard`, `github`, `slack`, `none`...), checked
 * when the connector file is loaded.
 */
export type RateLimitHeaders = string;

export interface RateLimitPolicy {
  /** For each connection (one tenant's or user's account). */
  perConnection: Rates;
  /** For the connector as a whole, across every connection (an app-wide budget). */
  perConnector: Rates;
  /**
   * For one operation of each connection (Slack's per-method tiers), keyed by operation
   * key (`POST /chat.postMessage`); the connector file may name operationIds, which
   * loading resolves to keys.
   */
  perOperation: Readonly<Record<string, Rates>>;
  /** The dialect's name; `standard` reads the generic signals alone (429, Retry-After, X-RateLimit-*, RateLimit). */
  headers: RateLimitHeaders;
  /** The longest a call waits for the limiter or for an upstream's Retry-After before its result says when to retry. */
  maxWaitMs: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** No retry starts after this long since the first attempt. */
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A header whose presence makes a POST safe to retry (`Idempotency-Key`); lower case. */
  idempotencyHeader?: string;
}

export interface CachePolicy {
  enabled: boolean;
  /** Freshness for responses that say nothing (no Cache-Control/Expires); 0: not cached then. */
  defaultTtlSeconds: number;
  /** A cap on any freshness the upstream gives. */
  maxTtlSeconds?: number;
  /** Larger bodies are not stored. */
  maxEntryBytes: number;
}

export interface CircuitPolicy {
  /** Consecutive failures (network errors, 5xx) of one host that open the circuit. */
  failures: number;
  /** How long an open circuit fails calls fast before letting one through to test the host. */
  coolDownMs: number;
}

export interface UpstreamPolicy {
  rateLimit: RateLimitPolicy;
  retry: RetryPolicy;
  cache: CachePolicy;
  circuitBreaker: CircuitPolicy;
}

export const DEFAULT_UPSTREAM_POLICY: Readonly<UpstreamPolicy> = Object.freeze({
  rateLimit: Object.freeze({
    perConnection: Object.freeze({}),
    perConnector: Object.freeze({}),
    perOperation: Object.freeze({}),
    headers: 'standard' as const,
    maxWaitMs: 30_000,
  }), // ms
  retry: Object.freeze({ attempts: 3, budgetMs: 30_000, baseDelayMs: 250, maxDelayMs: 10_000 }), // ms
  cache: Object.freeze({ enabled: true, defaultTtlSeconds: 0, maxEntryBytes: 1_048_576 }), // seconds; bytes
  circuitBreaker: Object.freeze({ failures: 5, coolDownMs: 30_000 }), // ms
});
