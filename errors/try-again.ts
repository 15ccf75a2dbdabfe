/**
 * "Try again in N seconds (after <time>)": the one way the hub tells an agent when a
 * refused call may go, whether the hub's own limiter, its front-door quota or the
 * upstream refused it. Whole seconds, at least one (a "0 seconds" invites a retry
 * storm), and the moment in UTC without milliseconds so that it reads at a glance.
 */
export interface TryAgain {
  /** Whole seconds from now, at least 1: also `_meta['lunar-hub/retry-after']` and `details.retryAfterSeconds`. */
  seconds: number;
  /** `2025-06-01T12:00:42Z`. */
  at: string;
  /** `try again in 42 seconds (after 2025-06-01T12:00:42Z)`. */
  words: string;
}

export function tryAgainIn(waitMs: number, nowMs: number = Date.now()): TryAgain {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const at = new Date(nowMs + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { seconds, at, words: `try again in ${seconds} seconds (after ${at})` };
}
