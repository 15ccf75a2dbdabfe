/**
 * What an upstream's response says about its rate limit, read by the connector's
 * convention (`rateLimit.headers`, gateway/upstream/policy.ts). Pure: the retry stage,
 * the rate-limit stage and the MCP result all read a response through here.
 *
 * - `standard`: `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date);
 *   `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when large, epoch
 *   milliseconds when larger still, an ISO 8601 time as Jira sends, else seconds from
 *   now); the IETF draft's `RateLimit-Remaining`/`RateLimit-Reset` (seconds from now)
 *   and its structured `RateLimit: "default";r=0;t=30` (or `remaining=0, reset=30`).
 * - `github`: the primary limit is `x-ratelimit-remaining: 0` with `x-ratelimit-reset`
 *   (epoch seconds) on a 403 or 429; a secondary limit is a 403 or 429 with `retry-after`,
 *   or a 403 whose body says "secondary rate limit" (without a time GitHub asks for at
 *   least a minute). docs.github.com "Rate limits for the REST API", "Best practices".
 * - `slack`: a 429 with `Retry-After` in seconds; the limits are per method (tiers), so
 *   the rate-limit stage holds only the method that was refused.
 * - `none`: the upstream sends nothing to trust; only a 429 itself says "slow down".
 *
 * A malformed value is ignored (as if absent), never NaN.
 */
import type { RateLimitHeaders } from '../../core';
import type { UpstreamResponse } from '../../core';

export interface LimitInfo {
  /** How long the upstream asked to wait before the next request: `Retry-After`, or GitHub's minute for a secondary limit that names no time. */
  retryAfterMs?: number;
  /** Requests left in the upstream's current window. */
  remaining?: number;
  /** When the upstream's window resets (epoch milliseconds). */
  resetAtMs?: number;
  /** This response says "slow down": a 429, or GitHub's 403 for its primary or secondary limit. */
  limited: boolean;
}

type Headers = UpstreamResponse['headers'];

/** GitHub: "If you exceed a secondary rate limit ... wait for at least one minute before retrying" when no header says how long. */
export const GITHUB_SECONDARY_DEFAULT_MS = 60_000;

/** Epoch values are told from "seconds from now" by size: 1e9 seconds is September 2001. */
const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_MILLISECONDS_FROM = 1e12;

export function readLimitHeaders(status: number, headers: Headers, convention: RateLimitHeaders, nowMs: number, bodyText?: string): LimitInfo {
  switch (convention) {
    case 'none':
      return { limited: status === 429 };
    case 'slack':
      return withDefined({ retryAfterMs: retryAfter(header(headers, 'retry-after'), nowMs), limited: status === 429 });
    case 'github':
      return github(status, headers, nowMs, bodyText);
    case 'standard':
    default:
      return standard(status, headers, nowMs);
  }
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

/** `readLimitHeaders` on a buffered response; the body is looked at only where the convention needs it (GitHub's 403). */
export function readResponseLimits(response: Pick<UpstreamResponse, 'status' | 'headers' | 'body'>, convention: RateLimitHeaders, nowMs: number): LimitInfo {
  const bodyText = convention === 'github' && response.status === 403 ? response.body.subarray(0, 4096).toString('utf8') : undefined;
  return readLimitHeaders(response.status, response.headers, convention, nowMs, bodyText);
}

function standard(status: number, headers: Headers, nowMs: number): LimitInfo {
  const structured = structuredRateLimit(header(headers, 'ratelimit'));
  const remaining = count(header(headers, 'x-ratelimit-remaining')) ?? count(header(headers, 'ratelimit-remaining')) ?? structured.remaining;
  const resetAtMs =
    resetTime(header(headers, 'x-ratelimit-reset'), nowMs) ??
    deltaSeconds(header(headers, 'ratelimit-reset'), nowMs) ??
    (structured.resetSeconds !== undefined ? nowMs + structured.resetSeconds * 1000 : undefined);
  return withDefined({ retryAfterMs: retryAfter(header(headers, 'retry-after'), nowMs), remaining, resetAtMs, limited: status === 429 });
}

const SECONDARY_LIMIT_TEXT = /secondary rate limit|abuse detection/i;

function github(status: number, headers: Headers, nowMs: number, bodyText: string | undefined): LimitInfo {
  const remaining = count(header(headers, 'x-ratelimit-remaining'));
  const resetAtMs = resetTime(header(headers, 'x-ratelimit-reset'), nowMs);
  let retryAfterMs = retryAfter(header(headers, 'retry-after'), nowMs);
  const refused = status === 403 || status === 429;
  const primary = refused && remaining === 0;
  const secondary = refused && (retryAfterMs !== undefined || (status === 403 && bodyText !== undefined && SECONDARY_LIMIT_TEXT.test(bodyText)));
  // A secondary limit that names no time (and is not the primary window running out): a minute.
  if (secondary && retryAfterMs === undefined && !primary) retryAfterMs = GITHUB_SECONDARY_DEFAULT_MS;
  return withDefined({ retryAfterMs, remaining, resetAtMs, limited: status === 429 || primary || secondary });
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
function withDefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
