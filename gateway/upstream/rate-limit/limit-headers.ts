/**
 * What an upstream's response says about its rate limit: the generic signals, always
 * read, then what the connector's dialect (`rateLimit.headers`, dialects/) adds. Pure:
 * the retry stage, the rate-limit stage and the MCP result all read a response through
 * here.
 *
 * The generic signals, whatever the connector says (only the `none` dialect turns the
 * reading off):
 * - `429`: a refusal, the request not acted on;
 * - `403` or `503` with a `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date): a
 *   refusal, waited out before anything else goes;
 * - `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when large, epoch
 *   milliseconds when larger still, an ISO 8601 time as Jira sends, else seconds from
 *   now), and a `403` or `429` with remaining 0 and a reset time is a refusal (GitHub's
 *   primary limit, copied by many APIs);
 * - the IETF draft's `RateLimit-Remaining`/`RateLimit-Reset` (seconds from now) and its
 *   structured `RateLimit: "default";r=0;t=30` (or `remaining=0, reset=30`).
 *
 * A malformed value is ignored (as if absent), never NaN.
 */
import type { RateLimitHeaders, UpstreamResponse } from '../../core';
import { rateLimitDialect } from './dialects';
import type { LimitInfo } from './dialects/dialect';

export type { LimitInfo } from './dialects/dialect';
export { GITHUB_SECONDARY_DEFAULT_MS } from './dialects/github';

type Headers = UpstreamResponse['headers'];

/** Epoch values are told from "seconds from now" by size: 1e9 seconds is September 2001. */
const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_MILLISECONDS_FROM = 1e12;

export function readLimitHeaders(status: number, headers: Headers, convention: RateLimitHeaders, nowMs: number, bodyText?: string): LimitInfo {
  const dialect = rateLimitDialect(convention);
  if (!dialect.readsHeaders) return { limited: status === 429 };
  const generic = readGenericLimits(status, headers, nowMs);
  return dialect.read === undefined ? generic : withDefined(dialect.read({ status, headers, bodyText: () => bodyText ?? '' }, generic, nowMs));
}

/**
 * How long the upstream asked to wait before sending again: its Retry-After, or, when
 * its window is used up (remaining 0, or a refusal that names only the reset), until
 * the reset. Undefined when it said neither.
 */
export function waitFromLimits(info: LimitInfo, nowMs: number): number | undefined {
  if (info.retryAfterMs !== undefined) return info.retryAfterMs;
  const usedUp = info.remaining === 0 || (info.limited && info.remaining === undefined);
  if (usedUp && info.resetAtMs !== undefined) return Math.max(0, info.resetAtMs - nowMs);
  return undefined;
}

/** The `Retry-After` header alone, in milliseconds (seconds or an HTTP date); undefined when absent or malformed. */
export function readRetryAfter(headers: Headers, nowMs: number): number | undefined {
  return retryAfter(header(headers, 'retry-after'), nowMs);
}

/** `readLimitHeaders` on a buffered response; the body is decoded only if the dialect asks for it (GitHub's 403). */
export function readResponseLimits(response: Pick<UpstreamResponse, 'status' | 'headers' | 'body'>, convention: RateLimitHeaders, nowMs: number): LimitInfo {
  const dialect = rateLimitDialect(convention);
  if (!dialect.readsHeaders) return { limited: response.status === 429 };
  const generic = readGenericLimits(response.status, response.headers, nowMs);
  if (dialect.read === undefined) return generic;
  return withDefined(
    dialect.read({ status: response.status, headers: response.headers, bodyText: () => response.body.subarray(0, 4096).toString('utf8') }, generic, nowMs),
  );
}

/** The signals every upstream may send, read the same whatever its dialect. */
export function readGenericLimits(status: number, headers: Headers, nowMs: number): LimitInfo {
  const structured = structuredRateLimit(header(headers, 'ratelimit'));
  const remaining = count(header(headers, 'x-ratelimit-remaining')) ?? count(header(headers, 'ratelimit-remaining')) ?? structured.remaining;
  const resetAtMs =
    resetTime(header(headers, 'x-ratelimit-reset'), nowMs) ??
    deltaSeconds(header(headers, 'ratelimit-reset'), nowMs) ??
    (structured.resetSeconds !== undefined ? nowMs + structured.resetSeconds * 1000 : undefined);
  const retryAfterMs = retryAfter(header(headers, 'retry-after'), nowMs);
  const waitAsked = (status === 403 || status === 503) && retryAfterMs !== undefined && retryAfterMs > 0;
  const usedUp = (status === 403 || status === 429) && remaining === 0 && resetAtMs !== undefined;
  const limited = status === 429 || waitAsked || usedUp;
  // A 403 or 503 from an API the hub knows nothing of may have done something first: only idempotent calls go again.
  const mayHaveActed = limited && status !== 429 ? true : undefined;
  return withDefined({ retryAfterMs, remaining, resetAtMs, limited, mayHaveActed });
}

// ---------------------------------------------------------------- values

/** A response header's first value, trimmed; undefined when absent or blank. */
export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  const trimmed = first.trim();
  return trimmed === '' ? undefined : trimmed;
}

const DECIMAL = /^\d+(?:\.\d+)?$/;
const INTEGER = /^\d+$/;

/** Retry-After: delay-seconds (decimals tolerated) or an HTTP date; a date in the past is 0. */
function retryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (DECIMAL.test(value)) return capWait(finite(Math.round(Number(value) * 1000)));
  const at = httpDate(value);
  return at === undefined ? undefined : capWait(Math.max(0, at - nowMs));
}

/** No upstream makes anyone wait a year; beyond that a value is noise, and dates past it are not representable. */
const MAX_WAIT_MS = 366 * 86_400_000;

function capWait(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.min(ms, MAX_WAIT_MS);
}

function capAt(at: number | undefined, nowMs: number): number | undefined {
  return at === undefined ? undefined : Math.min(at, nowMs + MAX_WAIT_MS);
}

/** X-RateLimit-Reset: epoch seconds, epoch milliseconds, an ISO time, or seconds from now. */
function resetTime(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (DECIMAL.test(value)) {
    const n = Number(value);
    if (n >= EPOCH_MILLISECONDS_FROM) return capAt(finite(Math.round(n)), nowMs);
    if (n >= EPOCH_SECONDS_FROM) return capAt(finite(Math.round(n * 1000)), nowMs);
    return capAt(finite(nowMs + Math.round(n * 1000)), nowMs);
  }
  return capAt(httpDate(value), nowMs);
}

function deltaSeconds(value: string | undefined, nowMs: number): number | undefined {
  return value !== undefined && DECIMAL.test(value) ? capAt(finite(nowMs + Math.round(Number(value) * 1000)), nowMs) : undefined;
}

/** A date in words (`Wed, 21 Oct 2015 07:28:00 GMT`, `2021-05-13T22:16Z`); a bare number is not one (V8 would read "1" as 2001). */
function httpDate(value: string): number | undefined {
  if (!/[a-z]/i.test(value) || !/\d/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

function count(value: string | undefined): number | undefined {
  return value !== undefined && INTEGER.test(value) ? finite(Number(value)) : undefined;
}

/** `RateLimit: "default";r=0;t=30` (draft 08+) or `RateLimit: limit=100, remaining=0, reset=30` (draft 03-07): the first item. */
function structuredRateLimit(value: string | undefined): { remaining?: number; resetSeconds?: number } {
  if (value === undefined) return {};
  const first = value.split(',').length > 1 && /;\s*r\s*=/.test(value) ? value.split(',')[0] : value;
  const param = (names: string) => new RegExp(`(?:^|[;,\\s])(?:${names})\\s*=\\s*([^;,\\s]+)`, 'i').exec(first)?.[1];
  const remainingText = param('r|remaining');
  const resetText = param('t|reset');
  return withDefined({
    remaining: remainingText !== undefined ? count(remainingText) : undefined,
    resetSeconds: resetText !== undefined && DECIMAL.test(resetText) ? finite(Number(resetText)) : undefined,
  });
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** Drops undefined fields, so results compare (and print) as what was read. */
export function withDefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
