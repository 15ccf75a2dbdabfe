/**
 * A connector file's rates as bottleneck limiter settings: `perSecond` -> `minTime`
 * (whole milliseconds, 3% wider than the rate, see pace.ts), `perMinute`/`perHour` -> a
 * reservoir refilled each window (bursts allowed within it), `concurrency` ->
 * `maxConcurrent`; each with what the refusals need to say how long a call would wait.
 */
import type Bottleneck from 'bottleneck';
import type { Rates } from '../../core';
import { SPACING_MARGIN } from './pace';

const WINDOW_MS = { perMinute: 60_000, perHour: 3_600_000 } as const;
/** Idle limiters (and their Redis keys) go after this long, or two of their windows. */
const IDLE_MS = 5 * 60_000;

/** One bottleneck limiter's settings, derived from a connector's rates. */
export interface LimiterSpec {
  /** Part of the limiter's id: its settings, so a changed limit starts from fresh state. */
  name: string;
  settings: Bottleneck.ConstructorOptions;
  /** In words, for messages: `3 requests per second`. */
  describe: string;
  /** Idle time after which the limiter and its Redis keys are dropped. */
  idleMs: number;
  /** A lower bound of the wait of a call behind the jobs this process has in the limiter (to refuse at once). */
  waitBehind(counts: Bottleneck.Counts): number;
  /** When a call arriving now may expect its turn, on the safe side (for "try again in"). */
  retryIn(counts: Bottleneck.Counts): number;
}

export function limiterSpecs(rates: Rates): LimiterSpec[] {
  const specs: LimiterSpec[] = [];
  const { perSecond, concurrency } = rates;
  if (perSecond !== undefined || concurrency !== undefined) {
    // Whole milliseconds: clustered limiters give it to Redis's PEXPIRE, which takes no fractions.
    const minTime = perSecond !== undefined ? Math.ceil((1000 / perSecond) * SPACING_MARGIN) : undefined;
    const words = [
      perSecond !== undefined ? `${perSecond} requests per second` : undefined,
      concurrency !== undefined ? `${concurrency} in flight at once` : undefined,
    ];
    specs.push({
      name: [perSecond !== undefined ? `s${perSecond}` : '', concurrency !== undefined ? `c${concurrency}` : ''].join(''),
      settings: { ...(minTime !== undefined ? { minTime } : {}), ...(concurrency !== undefined ? { maxConcurrent: concurrency } : {}) },
      describe: words.filter((w) => w !== undefined).join(' and '),
      idleMs: IDLE_MS,
      // Each job not yet started starts at least minTime after the one before it.
      waitBehind: (c) => (minTime === undefined ? 0 : (c.RECEIVED + c.QUEUED + c.RUNNING) * minTime),
      // Concurrency alone says nothing of time: a second.
      retryIn: (c) => (minTime === undefined ? 1000 : (c.RECEIVED + c.QUEUED + c.RUNNING + 1) * minTime),
    });
  }
  for (const window of ['perMinute', 'perHour'] as const) {
    const rate = rates[window];
    if (rate === undefined) continue;
    // A whole rate refills whole each window; a fraction (0.5 per minute) one request per window/rate.
    const amount = Number.isInteger(rate) ? rate : 1;
    const interval = Number.isInteger(rate) ? WINDOW_MS[window] : Math.ceil(WINDOW_MS[window] / rate);
    specs.push({
      name: `${window === 'perMinute' ? 'm' : 'h'}${rate}`,
      settings: { reservoir: amount, reservoirRefreshAmount: amount, reservoirRefreshInterval: interval },
      describe: `${rate} requests per ${window === 'perMinute' ? 'minute' : 'hour'}`,
      idleMs: Math.max(IDLE_MS, 2 * interval),
      // Queued jobs wait for the reservoir: `amount` of them go per refill.
      waitBehind: (c) => Math.floor(c.QUEUED / amount) * interval,
      // The refill may be a whole window away.
      retryIn: (c) => Math.ceil((c.QUEUED + 1) / amount) * interval,
    });
  }
  return specs;
}

export function hasRates(rates: Rates): boolean {
  return rates.perSecond !== undefined || rates.perMinute !== undefined || rates.perHour !== undefined || rates.concurrency !== undefined;
}
