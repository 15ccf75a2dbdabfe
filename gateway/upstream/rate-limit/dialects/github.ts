/**
 * `github`: beyond the generic signals, the primary limit is `x-ratelimit-remaining: 0`
 * on a 403 or 429 even without a readable reset; a secondary limit is a 403 or 429 with
 * `retry-after`, or a 403 whose body says "secondary rate limit" (without a time GitHub
 * asks for at least a minute). Every such refusal left the request alone, so any method
 * may go again; windows are per `x-ratelimit-resource`. docs.github.com "Rate limits for
 * the REST API", "Best practices for using the REST API".
 */
import type { LimitInfo, RateLimitDialect } from './dialect';

/** GitHub: "If you exceed a secondary rate limit ... wait for at least one minute before retrying" when no header says how long. */
export const GITHUB_SECONDARY_DEFAULT_MS = 60_000;

const SECONDARY_LIMIT_TEXT = /secondary rate limit|abuse detection/i;

export const github: RateLimitDialect = {
  name: 'github',
  readsHeaders: true,
  resourceHeader: 'x-ratelimit-resource',
  read({ status, bodyText }, generic): LimitInfo {
    const refused = status === 403 || status === 429;
    const primary = refused && generic.remaining === 0;
    const secondary = refused && (generic.retryAfterMs !== undefined || (status === 403 && SECONDARY_LIMIT_TEXT.test(bodyText())));
    // A secondary limit that names no time (and is not the primary window running out): a minute.
    const retryAfterMs = generic.retryAfterMs ?? (secondary && !primary ? GITHUB_SECONDARY_DEFAULT_MS : undefined);
    const limited = generic.limited || primary || secondary;
    return { ...generic, retryAfterMs, limited, mayHaveActed: undefined };
  },
};
