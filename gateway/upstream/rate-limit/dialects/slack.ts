/**
 * `slack`: a 429 with `Retry-After` in seconds, as the generic signals read it; Slack's
 * limits are per method (tiers), so a refusal holds, and teaches a pace for, the method
 * that was refused. api.slack.com/apis/rate-limits.
 */
import type { RateLimitDialect } from './dialect';

export const slack: RateLimitDialect = { name: 'slack', readsHeaders: true, perMethod: true };
