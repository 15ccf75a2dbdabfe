/**
 * The rate-limit dialects a connector file may name in `rateLimit.headers`. The generic
 * signals (limit-headers.ts) are read for every dialect but `none`; a dialect only adds
 * what its upstreams say their own way, and how their limits are keyed.
 *
 * Adding a dialect touches two places only: its own file here (a `RateLimitDialect`,
 * dialect.ts) and one registration line below. The connector file's validation takes
 * its list of names from `dialectNames()`.
 */
import type { RateLimitDialect } from './dialect';
import { github } from './github';
import { none } from './none';
import { slack } from './slack';
import { standard } from './standard';

export type { DialectResponse, LimitInfo, RateLimitDialect } from './dialect';

const DIALECTS = new Map<string, RateLimitDialect>();
const register = (dialect: RateLimitDialect) => DIALECTS.set(dialect.name, dialect);

register(standard);
register(github);
register(slack);
register(none);

/** The dialect named; an unknown name (the file's validation refuses those) reads as `standard`. */
export function rateLimitDialect(name: string): RateLimitDialect {
  return DIALECTS.get(name) ?? standard;
}

export function dialectNames(): string[] {
  return [...DIALECTS.keys()];
}
