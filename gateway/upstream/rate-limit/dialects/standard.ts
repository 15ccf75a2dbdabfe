/** `standard`: the generic signals alone (limit-headers.ts), the default for a connector whose file names no dialect. */
import type { RateLimitDialect } from './dialect';

export const standard: RateLimitDialect = { name: 'standard', readsHeaders: true };
