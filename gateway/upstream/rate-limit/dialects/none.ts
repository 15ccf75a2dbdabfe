/** `none`: an upstream whose headers say nothing to trust: only a 429 itself says "slow down", and with no rates set the limiter stays out of the way. */
import type { RateLimitDialect } from './dialect';

export const none: RateLimitDialect = { name: 'none', readsHeaders: false };
