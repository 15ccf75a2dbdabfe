/** Durations and rates in the words the limiter's refusals use. */

/** `2 s`, `0.3 s`, `42 s`: a tenth of a second below ten seconds, whole seconds above. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s < 10 ? s.toFixed(1) : Math.ceil(s)} s`;
}

/** A learnt rate, rounded as a reader would say it: `50 requests per second`, `1.7 requests per second`, `6 requests per minute`. */
export function rateWords(perSecond: number): string {
  if (perSecond >= 10) return `${Math.floor(perSecond)} requests per second`;
  if (perSecond >= 1) return `${Number(perSecond.toFixed(1))} requests per second`;
  return `${Math.max(1, Math.floor(perSecond * 60))} requests per minute`;
}
