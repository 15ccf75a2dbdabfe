/**
 * Evenly spaced departures at a rate (GCRA): one number, when the next request may leave.
 * Reserving a slot is arithmetic and waiting for it one timer, so a call that may go now
 * costs nothing. Used for rates in one process: those learnt from refusals
 * (learned-pace.ts) and a connector file's `perSecond` when no Redis shares the budget
 * (rate-limit.ts). Hand-written because bottleneck, which keeps the clustered budgets,
 * defers every job through timers (about a millisecond each, SGrondin/bottleneck#144),
 * and a learnt rate changes with every episode.
 */

/**
 * Requests leave this much further apart than a rate allows: 30 ms over a second
 * whatever the rate, more than a request is delayed on its way (a busy event loop, a new
 * connection), so the upstream never counts one too many in a second.
 */
export const SPACING_MARGIN = 1.03;

export class Pace {
  private nextAt = 0;

  constructor(public ratePerSecond: number) {}

  get intervalMs(): number {
    return (1000 / this.ratePerSecond) * SPACING_MARGIN;
  }

  /** When the next slot is free (epoch ms; in the past when one is free now). */
  get nextFreeAt(): number {
    return this.nextAt;
  }

  /**
   * Reserves the first free slot at or after `notBefore`: the wait until it, or undefined
   * (nothing reserved) when that is more than `maxWaitMs` away.
   */
  reserve(now: number, maxWaitMs: number, notBefore = now): number | undefined {
    const slot = Math.max(now, notBefore, this.nextAt);
    if (slot - now > maxWaitMs) return undefined;
    this.nextAt = slot + this.intervalMs;
    return slot - now;
  }

  /** How long a call arriving now would wait. */
  backlogMs(now: number): number {
    return Math.max(0, this.nextAt - now);
  }
}

/**
 * One slot in each pace at the same moment, the first free in all of them at or after
 * `notBefore` (a call that passes several rates leaves once, so each must count that
 * departure): the wait, or undefined (nothing reserved) beyond `maxWaitMs`.
 */
export function reserveAll(paces: readonly Pace[], now: number, maxWaitMs: number, notBefore = now): number | undefined {
  const at = paces.reduce((latest, pace) => Math.max(latest, pace.nextFreeAt), Math.max(now, notBefore));
  if (at - now > maxWaitMs) return undefined;
  for (const pace of paces) pace.reserve(now, maxWaitMs, at);
  return at - now;
}
