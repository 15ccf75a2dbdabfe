/**
 * How many of a connection's calls the hub lets out at once before it knows the
 * upstream's limit, and how many the upstream says it has left.
 *
 * Why: without it a burst of calls on a connector with no rates in its file leaves in
 * one go, so everything beyond the upstream's limit is refused before the first refusal
 * can teach the hub anything (bench/README.md: 500 calls at once against 50 per second
 * cost 950 requests). So, as TCP's slow start does with a network it knows nothing of:
 * - a connection starts with INITIAL_SIZE calls in flight at once, and each answer the
 *   upstream accepts lets one more out (the window doubles per round trip, so a fast
 *   upstream that never refuses is hardly slowed); a refusal halves it. Calls that keep
 *   a pace (a rate from the file, or one learnt from a refusal) are spaced by that
 *   instead, and only counted here;
 * - when the upstream says how many requests its window has left (`X-RateLimit-Remaining`
 *   with a reset time), no more calls are in flight than that: the rest wait for the
 *   reset instead of being refused at it.
 * Per process, like the learnt paces.
 */

export const INITIAL_SIZE = 8;
/** Windows of idle connections are dropped (a later burst starts small again) once there are more than this many. */
const SWEEP_FROM = 10_000;
const IDLE_MS = 60_000;

interface Waiter {
  paced: boolean;
  resolve(): void;
}

interface Window {
  inFlight: number;
  size: number;
  /** What the upstream last said it has left until `resetAt`. */
  remaining?: number;
  resetAt?: number;
  queue: Waiter[];
  timer?: NodeJS.Timeout;
  usedAt: number;
}

/** Why a call cannot go now: `until` a reset (epoch ms), or `answer`: until a call in flight is answered. */
export type Blocked = { until: number } | 'answer';

export class SendWindows {
  private readonly byKey = new Map<string, Window>();

  /** Undefined: a call on `key` may go now (`paced`: it keeps a pace, so only the upstream's count holds it). */
  blocked(key: string, paced: boolean, now: number): Blocked | undefined {
    const window = this.byKey.get(key);
    if (window === undefined) return undefined;
    return this.check(window, paced, now);
  }

  /**
   * Waits for the call's turn in the window and takes it (one more in flight); rejects
   * with `refusal(blocked)` when the turn is further than `deadline`, or is not there by
   * then, and with the signal's reason when the call is cancelled.
   */
  async enter(key: string, paced: boolean, deadline: number, signal: AbortSignal, refusal: (blocked: Blocked) => unknown): Promise<void> {
    if (signal.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
    const window = this.window(key);
    const now = Date.now();
    window.usedAt = now;
    const blocked = window.queue.length === 0 ? this.check(window, paced, now) : 'answer';
    if (blocked === undefined) {
      window.inFlight++;
      return;
    }
    if (blocked !== 'answer' && blocked.until > deadline) throw refusal(blocked);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        paced,
        resolve: () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const leave = (error: unknown) => {
        const i = window.queue.indexOf(waiter);
        if (i >= 0) window.queue.splice(i, 1);
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => leave(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      const timer = setTimeout(() => leave(refusal(this.check(window, paced, Date.now()) ?? 'answer')), Math.max(0, deadline - Date.now()));
      signal.addEventListener('abort', onAbort, { once: true });
      window.queue.push(waiter);
      this.pump(window);
    });
  }

  /** A call that entered is answered (or failed: `answer` undefined); what the answer said widens or narrows the window. */
  left(key: string, answer?: { accepted: boolean; refused: boolean; remaining?: number; resetAt?: number }): void {
    const window = this.byKey.get(key);
    if (window === undefined) return;
    window.inFlight = Math.max(0, window.inFlight - 1);
    if (answer?.refused) window.size = Math.max(INITIAL_SIZE, Math.floor(window.size / 2));
    else if (answer?.accepted) window.size++;
    if (answer?.remaining !== undefined && answer.resetAt !== undefined) {
      // Answers of one window count down; one from a later window starts the count again.
      if (window.resetAt === undefined || answer.resetAt > window.resetAt) {
        window.remaining = answer.remaining;
        window.resetAt = answer.resetAt;
      } else if (answer.resetAt === window.resetAt) window.remaining = Math.min(window.remaining ?? answer.remaining, answer.remaining);
    }
    this.pump(window);
  }

  private check(window: Window, paced: boolean, now: number): Blocked | undefined {
    if (window.resetAt !== undefined && window.resetAt <= now) {
      window.remaining = undefined;
      window.resetAt = undefined;
    }
    // Every call in flight may still spend one of what the upstream said is left.
    if (window.remaining !== undefined && window.resetAt !== undefined && window.remaining - window.inFlight <= 0)
      return window.inFlight > 0 ? 'answer' : { until: window.resetAt };
    if (!paced && window.inFlight >= window.size) return 'answer';
    return undefined;
  }

  /** Lets out the queued calls whose turn has come, in order; wakes itself at the reset a used-up window waits for. */
  private pump(window: Window): void {
    const now = Date.now();
    while (window.queue.length > 0) {
      const blocked = this.check(window, window.queue[0].paced, now);
      if (blocked !== undefined) {
        if (blocked !== 'answer' && window.timer === undefined) {
          window.timer = setTimeout(
            () => {
              window.timer = undefined;
              this.pump(window);
            },
            Math.max(1, blocked.until - now),
          );
        }
        return;
      }
      window.inFlight++;
      window.queue.shift()!.resolve();
    }
  }

  private window(key: string): Window {
    let window = this.byKey.get(key);
    if (window === undefined) {
      if (this.byKey.size >= SWEEP_FROM) this.sweep(Date.now());
      window = { inFlight: 0, size: INITIAL_SIZE, queue: [], usedAt: 0 };
      this.byKey.set(key, window);
    }
    return window;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.byKey) if (window.inFlight === 0 && window.queue.length === 0 && now - window.usedAt > IDLE_MS) this.byKey.delete(key);
  }
}
