/**
 * A rate learnt from the upstream's answers, for connections whose connector file sets
 * none: what the upstream accepted just before it refused with a 429 (or GitHub's
 * secondary-limit 403) is how fast this connection may go.
 *
 * Without it the hub can only hold calls until a Retry-After ends, and every release is
 * another burst that the upstream refuses again: a retry storm, most calls failing
 * (bench/README.md, "A 429 storm"). With it, the calls a refusal held back leave evenly
 * spaced at the learnt rate, so after the first refusal the upstream refuses none.
 *
 * How a rate is learnt (per connection, or per Slack method: the key the hold used):
 * - Accepted answers are counted in one-second buckets over the last minute.
 * - A refusal asking to wait W (clamped to 1..60 s) learns `accepted in the last W / W`,
 *   so a "50 per second" upstream gives 50/s and "100 per minute" (a 59 s Retry-After
 *   after a burst of 100) gives about 1.7/s. Refusals within W of each other are one
 *   episode: the answers still arriving from the burst raise the estimate, never lower
 *   it. A refusal after a quiet spell starts a new episode and may lower it.
 * - A refusal with nothing accepted before it teaches nothing (the budget may have gone
 *   to another client of the same account): only the hold applies.
 * - While calls queue behind the pace and none is refused for PROBE_MS, the rate rises by
 *   10% (additive probing, as TCP does), so a low first estimate does not stick.
 * - FORGET_MS after the last refusal the pace is dropped and calls go unpaced again.
 *
 * Per process: with several gateway processes each learns from its own answers, so their
 * paces add up to what the upstream accepted from all of them (docs/limits.md).
 *
 * The pace itself is pace.ts's: one number, when the next request may leave.
 */
import { Pace } from './pace';

const MIN_WINDOW_MS = 1_000;
const MAX_WINDOW_MS = 60_000;
/** The answers counted: one bucket per second over the longest window, and the second it starts in. */
const BUCKETS = MAX_WINDOW_MS / 1000 + 1;
/** Sweeps of idle counters are this far apart at the least, however many keys arrive. */
const SWEEP_EVERY_MS = 10_000;
/** A paced connection with calls waiting and no refusal this long tries 10% faster. */
export const PROBE_MS = 10_000;
const PROBE_FACTOR = 1.1;
/** No refusal for this long: the pace is forgotten. */
export const FORGET_MS = 5 * 60_000;
/** Idle counters beyond this many are swept. */
const MAX_KEYS = 10_000;

interface Learnt {
  /** Accepted answers per second: `counts[s % BUCKETS]` for second `s`, valid while `seconds[...] === s`. */
  counts: Uint32Array;
  seconds: Float64Array;
  pace?: Pace;
  /** The last refusal, and the window it asked about. */
  refusedAt: number;
  windowMs: number;
  raisedAt: number;
  touchedAt: number;
}

export interface Learning {
  ratePerSecond: number;
  /** What it was before (undefined: the connection was not paced). */
  previous?: number;
}

/** The paces learnt per key (a connection, or a Slack method of one). */
export class LearnedPaces {
  private readonly byKey = new Map<string, Learnt>();
  private sweptAt = Number.NEGATIVE_INFINITY;

  /** An answer the upstream accepted (anything but a rate-limit refusal). */
  accepted(key: string, now: number): void {
    const learnt = this.entry(key, now);
    const second = Math.floor(now / 1000);
    const i = second % BUCKETS;
    if (learnt.seconds[i] !== second) {
      learnt.seconds[i] = second;
      learnt.counts[i] = 0;
    }
    learnt.counts[i]++;
  }

  /** A refusal that asked to wait `retryAfterMs`: the pace from what was accepted just before it, if anything was. */
  refused(key: string, now: number, retryAfterMs: number): Learning | undefined {
    const learnt = this.entry(key, now);
    const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, retryAfterMs));
    const sameEpisode = learnt.refusedAt > 0 && now - learnt.refusedAt <= Math.max(learnt.windowMs, windowMs);
    learnt.refusedAt = now;
    learnt.windowMs = windowMs;
    const measured = this.acceptedWithin(learnt, now, windowMs) / (windowMs / 1000);
    if (measured <= 0) return undefined;
    const previous = learnt.pace?.ratePerSecond;
    const rate = previous === undefined ? measured : sameEpisode ? Math.max(previous, measured) : Math.min(previous, measured);
    if (learnt.pace === undefined) learnt.pace = new Pace(rate);
    else learnt.pace.ratePerSecond = rate;
    // No probing before the upstream has had its pause: calls queue behind the hold without being sent.
    learnt.raisedAt = now + retryAfterMs;
    return { ratePerSecond: rate, ...(previous !== undefined ? { previous } : {}) };
  }

  /** The pace a call on these keys keeps (the slowest), probing upwards or forgetting as time tells. */
  paceFor(keys: readonly string[], now: number): Pace | undefined {
    let slowest: Pace | undefined;
    for (const key of keys) {
      const learnt = this.byKey.get(key);
      const pace = learnt?.pace;
      if (learnt === undefined || pace === undefined) continue;
      // Forgotten once nothing is queued behind it: calls that took slots keep their order.
      if (now - learnt.refusedAt > FORGET_MS && pace.backlogMs(now) === 0) {
        learnt.pace = undefined;
        continue;
      }
      if (pace.backlogMs(now) > 0 && now - Math.max(learnt.refusedAt, learnt.raisedAt) > PROBE_MS) {
        pace.ratePerSecond *= PROBE_FACTOR;
        learnt.raisedAt = now;
      }
      if (slowest === undefined || pace.ratePerSecond < slowest.ratePerSecond) slowest = pace;
    }
    return slowest;
  }

  /**
   * Answers accepted in the last `windowMs`, the oldest second's share by the part of it
   * inside the window (its answers taken as spread evenly over it): a refusal 60 ms into
   * a second still counts the second before.
   */
  private acceptedWithin(learnt: Learnt, now: number, windowMs: number): number {
    const start = now - windowMs;
    const first = Math.floor(start / 1000);
    const last = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const second = learnt.seconds[i];
      if (!(second >= first && second <= last)) continue;
      total += second === first ? (learnt.counts[i] * ((first + 1) * 1000 - start)) / 1000 : learnt.counts[i];
    }
    return total;
  }

  private entry(key: string, now: number): Learnt {
    let learnt = this.byKey.get(key);
    if (learnt === undefined) {
      if (this.byKey.size >= MAX_KEYS && now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
      learnt = {
        counts: new Uint32Array(BUCKETS),
        seconds: new Float64Array(BUCKETS).fill(Number.NaN),
        refusedAt: 0,
        windowMs: 0,
        raisedAt: 0,
        touchedAt: now,
      };
      this.byKey.set(key, learnt);
    }
    learnt.touchedAt = now;
    return learnt;
  }

  /**
   * Keys with no pace and nothing counted in the last minute go; if that is not enough,
   * the oldest keys without a pace (their counts are the only thing lost: a refusal on
   * them teaches nothing until answers are counted again). At most every SWEEP_EVERY_MS,
   * so a flood of new keys costs one pass per interval, not one per key.
   */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, learnt] of this.byKey) {
      if ((learnt.pace === undefined || now - learnt.refusedAt > FORGET_MS) && now - learnt.touchedAt > MAX_WINDOW_MS) this.byKey.delete(key);
    }
    for (const [key, learnt] of this.byKey) {
      if (this.byKey.size < MAX_KEYS * 0.9) break;
      if (learnt.pace === undefined) this.byKey.delete(key);
    }
  }
}
