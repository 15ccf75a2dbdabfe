/**
 * Retries (DESIGN.md stage 8): whether and when to send a request again, as a pure
 * decision tested with a table (got `source/core/calculate-retry-delay.ts`), and the
 * exchange stage that acts on it.
 *
 * What is retried:
 * - a response that says "slow down" (a 429, or a limit 403 of a dialect that vouches for
 *   it, GitHub's), whatever the method: the upstream refused it without acting on it; a
 *   403 or 503 carrying rate-limit signals (Retry-After, or remaining 0 with a reset) from
 *   any other API, for idempotent methods only (nobody vouches it did nothing). It waits the upstream's Retry-After
 *   (or until its window resets), unless that is longer than `rateLimit.maxWaitMs` or
 *   passes `retry.budgetMs`: then the 429 itself is the answer, and its result says when
 *   to try again (map-result.ts);
 * - 408, 500, 502, 503, 504 and the network errors of RETRY_ERROR_CODES, for idempotent
 *   methods only (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, PUT, DELETE), and for POST and
 *   PATCH when the request carries the connector's `retry.idempotencyHeader`;
 * - a connection that was never made (refused, connect timeout, DNS not answering),
 *   whatever the method: not a byte of the request left.
 *
 * Never 400, 401 (the credentials stage refreshes and retries once), 403 other than a
 * rate limit, 404, 410, 422, or anything else. Waits are full-jitter exponential
 * backoff, `random() * min(maxDelay, base * 2^(attempt-1))`, so calls that failed
 * together do not come back together; a Retry-After wait gets up to `baseDelayMs` of
 * jitter on top for the same reason. No retry starts past `retry.budgetMs` after the
 * first attempt, nor after `retry.attempts` attempts in all.
 */
import { findErrorCode } from '../../errors';
import type { ExchangeRequest, ExchangeResponse, ExchangeStage } from './exchange';
import { DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from '../core';
import { sleep } from './abortable-sleep';
import { readResponseLimits, waitFromLimits } from './rate-limit';

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Made safe to retry by the idempotency header. */
const KEYED_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Failures of the connection or the exchange that another attempt may not meet. */
export const RETRY_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // A body that stalled past the connector's bodyMs: the upstream answered and the transfer
  // failed, as with a reset. A headers timeout is not here: that upstream is slow, and another
  // attempt would wait as long again.
  'UND_ERR_BODY_TIMEOUT',
]);

/** The connection was never made: nothing was sent, so any method may go again. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export interface RetryInput {
  /** Attempts made so far (1 after the first). */
  attempt: number;
  /** Upper case. */
  method: string;
  /** The status of the attempt's response, when there was one. */
  status?: number;
  /** The code of the attempt's error (`ECONNRESET`, `UND_ERR_SOCKET`...), when it threw. */
  errorCode?: string;
  /** How long the upstream asked to wait (Retry-After, or until its used-up window resets). */
  retryAfterMs?: number;
  /** The response says "slow down" (a 429; a 403 or 503 with Retry-After, or with remaining 0 and a reset): see rate-limit/limit-headers.ts. */
  limited?: boolean;
  /** A refusal that does not prove the request was left alone (a 403 or 503 of an API without a dialect): retried for idempotent methods only. */
  mayHaveActed?: boolean;
  /** The request carries the policy's idempotency header (makes POST and PATCH retryable). */
  idempotent: boolean;
  /** Since the first attempt started. */
  elapsedMs: number;
  policy: Pick<UpstreamPolicy, 'retry' | 'rateLimit'>;
  /** [0, 1): Math.random, or fixed in tests. */
  random: () => number;
}

/** Milliseconds to wait before the next attempt, or undefined: do not retry. */
export function retryDelay(input: RetryInput): number | undefined {
  const { attempt, status, errorCode, retryAfterMs, elapsedMs, policy, random } = input;
  const { retry } = policy;
  if (attempt >= retry.attempts) return undefined;

  const limited = status === 429 || (input.limited === true && status !== undefined);
  const safe = IDEMPOTENT_METHODS.has(input.method) || (input.idempotent && KEYED_METHODS.has(input.method));
  let retryable: boolean;
  if (status !== undefined) retryable = (limited && (safe || input.mayHaveActed !== true)) || (RETRY_STATUSES.has(status) && safe);
  else if (errorCode !== undefined) retryable = NOT_SENT_CODES.has(errorCode) || (RETRY_ERROR_CODES.has(errorCode) && safe);
  else retryable = false;
  if (!retryable) return undefined;

  const left = retry.budgetMs - elapsedMs;
  if (retryAfterMs !== undefined && status !== undefined) {
    if (limited && retryAfterMs > policy.rateLimit.maxWaitMs) return undefined;
    if (retryAfterMs > left) return undefined;
    return Math.min(retryAfterMs + random() * retry.baseDelayMs, left);
  }
  const delay = random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return delay > left ? undefined : delay;
}

// ---------------------------------------------------------------- the stage

export interface RetryStageOptions {
  /** [0, 1) for the jitter; Math.random by default. */
  random?: () => number;
}

/**
 * Re-runs `next` per `retryDelay`: the response of the last attempt is returned (a 429
 * that outlasts the budget reaches the agent with its Retry-After), with `attempts`
 * set; a network error is retried per the decision, else rethrown. Waits end at once
 * when the call is cancelled, rejecting with the signal's reason as undici does.
 */
export function createRetryStage(options: RetryStageOptions = {}): ExchangeStage {
  const random = options.random ?? Math.random;
  return (next) => async (request) => {
    const policy = request.connector.policy ?? DEFAULT_UPSTREAM_POLICY;
    const convention = policy.rateLimit.headers;
    const method = request.method.toUpperCase();
    const idempotent = policy.retry.idempotencyHeader !== undefined && hasHeader(request, policy.retry.idempotencyHeader);
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      let response: ExchangeResponse | undefined;
      let failure: unknown;
      let failed = false;
      try {
        response = await next(request);
      } catch (error) {
        failure = error;
        failed = true;
      }
      // A cancelled call is over: no decision, no wait.
      if (failed && request.signal.aborted) throw failure;

      let delay: number | undefined;
      if (response !== undefined) {
        const now = Date.now();
        const limits = readResponseLimits(response, convention, now);
        const retryAfterMs = waitFromLimits(limits, now);
        delay = retryDelay({
          attempt,
          method,
          status: response.status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          limited: limits.limited,
          ...(limits.mayHaveActed === true ? { mayHaveActed: true } : {}),
          idempotent,
          elapsedMs: performance.now() - started,
          policy,
          random,
        });
        if (delay === undefined) return { ...response, attempts: attempt };
      } else {
        const errorCode = retryableCode(failure);
        delay =
          errorCode === undefined ? undefined : retryDelay({ attempt, method, errorCode, idempotent, elapsedMs: performance.now() - started, policy, random });
        if (delay === undefined) throw failure;
      }
      await sleep(delay, request.signal);
    }
  };
}

/** The retry stage with Math.random jitter. */
export const retryStage: ExchangeStage = createRetryStage();

function hasHeader(request: ExchangeRequest, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.entries(request.headers).some(([key, value]) => key.toLowerCase() === lower && value !== '');
}

/**
 * The retryable code on the error, its `cause` chain or an AggregateError's `errors`
 * (undici wraps socket errors; happy eyeballs aggregates one error per address); else
 * the first code found.
 */
export function retryableCode(error: unknown): string | undefined {
  return findErrorCode(error, (code) => RETRY_ERROR_CODES.has(code), { stopAtHubErrors: true })?.code;
}

export { abortReason, sleep } from './abortable-sleep';
