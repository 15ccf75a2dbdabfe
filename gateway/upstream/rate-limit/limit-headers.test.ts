import type { RateLimitHeaders } from '../../core';
import { GITHUB_SECONDARY_DEFAULT_MS, readLimitHeaders, readResponseLimits, waitFromLimits, type LimitInfo } from './limit-headers';

/** 2023-11-14T22:13:20Z */
const NOW = 1_700_000_000_000;
const NOW_S = NOW / 1000;
const HTTP_DATE_IN_90_S = new Date(NOW + 90_000).toUTCString();

interface Given {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  convention: RateLimitHeaders;
  body?: string;
}

describe('readLimitHeaders', () => {
  test.each<[string, { given: Given; want: LimitInfo }]>([
    // ---- standard
    [
      'standard: 429 with Retry-After seconds',
      { given: { status: 429, headers: { 'retry-after': '1' }, convention: 'standard' }, want: { retryAfterMs: 1000, limited: true } },
    ],
    [
      'standard: Retry-After as an HTTP date',
      { given: { status: 429, headers: { 'retry-after': HTTP_DATE_IN_90_S }, convention: 'standard' }, want: { retryAfterMs: 90_000, limited: true } },
    ],
    [
      'standard: Retry-After date in the past is 0',
      {
        given: { status: 503, headers: { 'retry-after': new Date(NOW - 5000).toUTCString() }, convention: 'standard' },
        want: { retryAfterMs: 0, limited: false },
      },
    ],
    [
      'standard: Retry-After with decimals',
      { given: { status: 429, headers: { 'retry-after': '1.5' }, convention: 'standard' }, want: { retryAfterMs: 1500, limited: true } },
    ],
    [
      'standard: Retry-After first of several values',
      { given: { status: 429, headers: { 'retry-after': ['2', '9'] }, convention: 'standard' }, want: { retryAfterMs: 2000, limited: true } },
    ],
    [
      'standard: 503 with Retry-After is a refusal, perhaps acted on',
      { given: { status: 503, headers: { 'retry-after': '3' }, convention: 'standard' }, want: { retryAfterMs: 3000, limited: true, mayHaveActed: true } },
    ],
    [
      'standard: 403 with Retry-After is a refusal, perhaps acted on',
      { given: { status: 403, headers: { 'retry-after': '3' }, convention: 'standard' }, want: { retryAfterMs: 3000, limited: true, mayHaveActed: true } },
    ],
    [
      'standard: GitHub-style primary limit on any API (403, remaining 0, reset)',
      {
        given: { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 1) }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 1000, limited: true, mayHaveActed: true },
      },
    ],
    [
      'standard: 403 with remaining 0 and no reset says nothing of when: not a refusal',
      { given: { status: 403, headers: { 'x-ratelimit-remaining': '0' }, convention: 'standard' }, want: { remaining: 0, limited: false } },
    ],
    [
      'standard: a plain 403 is not a refusal',
      {
        given: { status: 403, headers: { 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': String(NOW_S + 1) }, convention: 'standard' },
        want: { remaining: 7, resetAtMs: NOW + 1000, limited: false },
      },
    ],
    [
      'standard: 403 with the IETF RateLimit used up',
      {
        given: { status: 403, headers: { ratelimit: '"default";r=0;t=30' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 30_000, limited: true, mayHaveActed: true },
      },
    ],
    [
      'standard: 404 with Retry-After is not a refusal',
      { given: { status: 404, headers: { 'retry-after': '3' }, convention: 'standard' }, want: { retryAfterMs: 3000, limited: false } },
    ],
    [
      'standard: reset as epoch seconds',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 30) }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 30_000, limited: false },
      },
    ],
    [
      'standard: reset as epoch milliseconds',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': String(NOW + 30_000) }, convention: 'standard' },
        want: { remaining: 4, resetAtMs: NOW + 30_000, limited: false },
      },
    ],
    [
      'standard: reset as seconds from now',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '12' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 12_000, limited: false },
      },
    ],
    [
      'standard: reset as an ISO time (Jira)',
      {
        given: { status: 429, headers: { 'retry-after': '1', 'x-ratelimit-reset': '2023-11-14T22:14Z' }, convention: 'standard' },
        want: { retryAfterMs: 1000, resetAtMs: NOW + 40_000, limited: true },
      },
    ],
    [
      'standard: IETF RateLimit-Remaining/Reset',
      {
        given: { status: 200, headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '7' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 7000, limited: false },
      },
    ],
    [
      'standard: IETF structured RateLimit (draft 08)',
      {
        given: { status: 429, headers: { ratelimit: '"default";r=0;t=30, "daily";r=500;t=3600' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 30_000, limited: true },
      },
    ],
    [
      'standard: IETF RateLimit (draft 07)',
      {
        given: { status: 200, headers: { ratelimit: 'limit=100, remaining=0, reset=5' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 5000, limited: false },
      },
    ],
    [
      'standard: X- headers win over IETF ones',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '3', 'ratelimit-remaining': '9' }, convention: 'standard' },
        want: { remaining: 3, limited: false },
      },
    ],
    ['standard: 429 with nothing', { given: { status: 429, headers: {}, convention: 'standard' }, want: { limited: true } }],
    ['standard: 200 with nothing', { given: { status: 200, headers: {}, convention: 'standard' }, want: { limited: false } }],
    // ---- malformed values are ignored
    ['malformed: Retry-After words', { given: { status: 429, headers: { 'retry-after': 'soon' }, convention: 'standard' }, want: { limited: true } }],
    ['malformed: Retry-After negative', { given: { status: 429, headers: { 'retry-after': '-5' }, convention: 'standard' }, want: { limited: true } }],
    ['malformed: Retry-After empty', { given: { status: 429, headers: { 'retry-after': '  ' }, convention: 'standard' }, want: { limited: true } }],
    [
      'malformed: Retry-After 1e3 is neither seconds nor a date',
      { given: { status: 429, headers: { 'retry-after': '1e3' }, convention: 'standard' }, want: { limited: true } },
    ],
    [
      'malformed: remaining not a whole number',
      { given: { status: 200, headers: { 'x-ratelimit-remaining': '1.5', 'x-ratelimit-reset': 'abc' }, convention: 'standard' }, want: { limited: false } },
    ],
    [
      'malformed: remaining negative, reset huge',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': '9'.repeat(400) }, convention: 'standard' },
        want: { limited: false },
      },
    ],
    ['malformed: structured RateLimit garbage', { given: { status: 200, headers: { ratelimit: 'r=x;t=' }, convention: 'standard' }, want: { limited: false } }],
    // ---- github
    [
      'github: primary limit (403, remaining 0)',
      {
        given: { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 600) }, convention: 'github' },
        want: { remaining: 0, resetAtMs: NOW + 600_000, limited: true },
      },
    ],
    [
      'github: primary limit (429, remaining 0)',
      {
        given: { status: 429, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 5) }, convention: 'github' },
        want: { remaining: 0, resetAtMs: NOW + 5000, limited: true },
      },
    ],
    [
      'github: last request of the window (200)',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 2) }, convention: 'github' },
        want: { remaining: 0, resetAtMs: NOW + 2000, limited: false },
      },
    ],
    [
      'github: secondary limit (403 + retry-after)',
      {
        given: { status: 403, headers: { 'retry-after': '60', 'x-ratelimit-remaining': '4000' }, convention: 'github' },
        want: { retryAfterMs: 60_000, remaining: 4000, limited: true },
      },
    ],
    [
      'github: secondary limit named in the body only',
      {
        given: {
          status: 403,
          headers: { 'x-ratelimit-remaining': '4000' },
          convention: 'github',
          body: '{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}',
        },
        want: { retryAfterMs: GITHUB_SECONDARY_DEFAULT_MS, remaining: 4000, limited: true },
      },
    ],
    [
      'github: a plain 403 is not a limit',
      {
        given: {
          status: 403,
          headers: { 'x-ratelimit-remaining': '4000' },
          convention: 'github',
          body: '{"message":"Resource not accessible by integration"}',
        },
        want: { remaining: 4000, limited: false },
      },
    ],
    [
      'github: 404 with retry-after is not a limit',
      { given: { status: 404, headers: { 'retry-after': '5' }, convention: 'github' }, want: { retryAfterMs: 5000, limited: false } },
    ],
    [
      'github: malformed reset ignored',
      {
        given: { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'later' }, convention: 'github' },
        want: { remaining: 0, limited: true },
      },
    ],
    // ---- slack
    [
      'slack: 429 + Retry-After',
      { given: { status: 429, headers: { 'retry-after': '30' }, convention: 'slack' }, want: { retryAfterMs: 30_000, limited: true } },
    ],
    [
      'slack: the generic X-RateLimit headers are read too',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '5' }, convention: 'slack' },
        want: { remaining: 0, resetAtMs: NOW + 5000, limited: false },
      },
    ],
    [
      'github: the primary limit 403 left the request alone: any method may go again',
      {
        given: { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 1) }, convention: 'github' },
        want: { remaining: 0, resetAtMs: NOW + 1000, limited: true },
      },
    ],
    [
      'an unknown dialect name reads as standard',
      {
        given: { status: 403, headers: { 'retry-after': '2' }, convention: 'no-such-dialect' },
        want: { retryAfterMs: 2000, limited: true, mayHaveActed: true },
      },
    ],
    [
      'standard: absurd Retry-After is capped at a year, never past the dates JavaScript can hold',
      {
        given: { status: 429, headers: { 'retry-after': '999999999999999999' }, convention: 'standard' },
        want: { retryAfterMs: 366 * 86_400_000, limited: true },
      },
    ],
    [
      'standard: absurd reset is capped at a year from now',
      {
        given: { status: 200, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999999999999999' }, convention: 'standard' },
        want: { remaining: 0, resetAtMs: NOW + 366 * 86_400_000, limited: false },
      },
    ],
    ['slack: malformed Retry-After', { given: { status: 429, headers: { 'retry-after': 'NaN' }, convention: 'slack' }, want: { limited: true } }],
    // ---- none
    [
      'none: reads nothing',
      { given: { status: 429, headers: { 'retry-after': '5', 'x-ratelimit-remaining': '0' }, convention: 'none' }, want: { limited: true } },
    ],
    ['none: 200', { given: { status: 200, headers: { 'retry-after': '5' }, convention: 'none' }, want: { limited: false } }],
  ])('%s', (_name, { given, want }) => {
    const got = readLimitHeaders(given.status, given.headers, given.convention, NOW, given.body);
    expect(got).toEqual(want);
    for (const value of Object.values(got)) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
    // Every time read must make a date (the result's notice prints it).
    if (got.resetAtMs !== undefined) expect(() => new Date(got.resetAtMs!).toISOString()).not.toThrow();
    if (got.retryAfterMs !== undefined) expect(() => new Date(NOW + got.retryAfterMs!).toISOString()).not.toThrow();
  });
});

describe('waitFromLimits', () => {
  test.each<[string, LimitInfo, number | undefined]>([
    ['Retry-After first', { retryAfterMs: 1000, remaining: 0, resetAtMs: NOW + 9000, limited: true }, 1000],
    ['used-up window: until the reset', { remaining: 0, resetAtMs: NOW + 9000, limited: false }, 9000],
    ['refusal naming only the reset', { resetAtMs: NOW + 4000, limited: true }, 4000],
    ['reset in the past: 0', { remaining: 0, resetAtMs: NOW - 4000, limited: true }, 0],
    ['requests left: no wait', { remaining: 3, resetAtMs: NOW + 9000, limited: false }, undefined],
    ['nothing said', { limited: true }, undefined],
  ])('%s', (_name, info, want) => {
    expect(waitFromLimits(info, NOW)).toBe(want);
  });
});

describe('readResponseLimits', () => {
  it('reads the body of a GitHub 403 only', () => {
    const body = Buffer.from('{"message":"You have exceeded a secondary rate limit"}');
    expect(readResponseLimits({ status: 403, headers: {}, body }, 'github', NOW)).toEqual({ retryAfterMs: GITHUB_SECONDARY_DEFAULT_MS, limited: true });
    expect(readResponseLimits({ status: 403, headers: {}, body }, 'standard', NOW)).toEqual({ limited: false });
  });
});
