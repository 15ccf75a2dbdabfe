/** What a rate-limit dialect is: how one family of upstreams says "slow down" beyond the generic signals (limit-headers.ts). */
import type { UpstreamResponse } from '../../../core';

export interface LimitInfo {
  /** How long the upstream asked to wait before the next request: `Retry-After`, or a dialect's default for a refusal that names no time. */
  retryAfterMs?: number;
  /** Requests left in the upstream's current window. */
  remaining?: number;
  /** When the upstream's window resets (epoch milliseconds). */
  resetAtMs?: number;
  /** This response says "slow down": a refusal (a 429; a 403 or 503 with Retry-After; a 403 or 429 with remaining 0 and a reset; what the dialect adds). */
  limited: boolean;
  /** A refusal that does not prove the upstream left the request alone (a 403 or 503 from an API without a dialect): only idempotent methods are retried. */
  mayHaveActed?: boolean;
}

/** The response as a dialect sees it; the body is decoded only when asked for. */
export interface DialectResponse {
  status: number;
  headers: UpstreamResponse['headers'];
  bodyText(): string;
}

export interface RateLimitDialect {
  /** The connector file's `rateLimit.headers` value. */
  readonly name: string;
  /** false: the upstream's headers are not trusted at all (`none`): only a 429 says "slow down", and answers teach the limiter nothing. */
  readonly readsHeaders: boolean;
  /** What this upstream says its own way, given what the generic signals read (which it may only add to). */
  read?(response: DialectResponse, generic: LimitInfo, nowMs: number): LimitInfo;
  /** Limits are per method (Slack's tiers): a refusal holds, and a pace is learnt for, that method of the connection only. */
  readonly perMethod?: boolean;
  /**
   * A response header naming the budget an operation spends (GitHub's `x-ratelimit-resource`:
   * core, search...): a used-up window holds the operations seen spending it, not the whole connection.
   */
  readonly resourceHeader?: string;
}
