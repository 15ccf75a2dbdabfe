import { FORGET_MS, LearnedPaces, PROBE_MS } from './learned-pace';
import { Pace, reserveAll } from './pace';

describe('Pace', () => {
  it('spaces reservations evenly from now, or from a hold', () => {
    const pace = new Pace(10);
    const gap = pace.intervalMs;
    expect(gap).toBeCloseTo(103);
    expect(pace.reserve(1000, 5000)).toBe(0);
    expect(pace.reserve(1000, 5000)).toBeCloseTo(gap);
    expect(pace.reserve(1000, 5000)).toBeCloseTo(2 * gap);
    expect(pace.backlogMs(1000)).toBeCloseTo(3 * gap);
    // After a hold, not before it.
    const held = new Pace(10);
    expect(held.reserve(0, 5000, 1000)).toBe(1000);
    expect(held.reserve(0, 5000, 1000)).toBeCloseTo(1000 + gap);
  });

  it('reserves nothing for a call that would wait longer than it may', () => {
    const pace = new Pace(1);
    expect(pace.reserve(0, 100)).toBe(0);
    expect(pace.reserve(0, 100)).toBeUndefined();
    expect(pace.backlogMs(0)).toBeCloseTo(1030);
    expect(pace.reserve(0, 2000)).toBeCloseTo(1030);
  });
});

describe('reserveAll', () => {
  it('takes one slot, the first free in every pace, and counts it in each', () => {
    const fast = new Pace(10);
    const slow = new Pace(2);
    expect(reserveAll([fast, slow], 0, 5000)).toBe(0);
    // The slow pace sets the next departure; the fast one counts it too.
    expect(reserveAll([fast, slow], 0, 5000)).toBeCloseTo(slow.intervalMs);
    expect(fast.nextFreeAt).toBeCloseTo(slow.intervalMs + fast.intervalMs);
    // Beyond the wait allowed: nothing reserved in either.
    const before = [fast.nextFreeAt, slow.nextFreeAt];
    expect(reserveAll([fast, slow], 0, 100)).toBeUndefined();
    expect([fast.nextFreeAt, slow.nextFreeAt]).toEqual(before);
    // After a hold.
    expect(reserveAll([new Pace(5)], 0, 5000, 700)).toBe(700);
  });
});

describe('LearnedPaces', () => {
  const accept = (paces: LearnedPaces, key: string, from: number, count: number, spanMs: number) => {
    for (let i = 0; i < count; i++) paces.accepted(key, from + Math.floor((i * spanMs) / count));
  };

  it('learns what was accepted in the window the refusal asked about', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 10_000, 50, 900);
    expect(paces.refused('c1', 10_950, 1000)).toEqual({ ratePerSecond: 50 });
    expect(paces.paceFor(['c1'], 11_000)?.ratePerSecond).toBe(50);
    // Another connection is not paced.
    expect(paces.paceFor(['c2'], 11_000)).toBeUndefined();
  });

  it('a long Retry-After spreads what was accepted over it: 100 a minute is under 2 a second', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 0, 100, 1000);
    expect(paces.refused('c1', 1000, 59_000)?.ratePerSecond).toBeCloseTo(100 / 59);
  });

  it('learns nothing from a refusal with nothing accepted before it', () => {
    const paces = new LearnedPaces();
    expect(paces.refused('c1', 5000, 1000)).toBeUndefined();
    expect(paces.paceFor(['c1'], 5000)).toBeUndefined();
  });

  it('answers still arriving from the same burst raise the estimate; a later episode may lower it', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 0, 20, 100);
    expect(paces.refused('c1', 150, 1000)?.ratePerSecond).toBe(20);
    accept(paces, 'c1', 200, 30, 100);
    expect(paces.refused('c1', 400, 1000)).toEqual({ ratePerSecond: 50, previous: 20 });
    // A quiet spell, then refused again with 30 accepted in the last second: slower.
    accept(paces, 'c1', 10_000, 30, 900);
    expect(paces.refused('c1', 10_950, 1000)).toEqual({ ratePerSecond: 30, previous: 50 });
  });

  it('probes 10% faster while calls queue and nothing is refused, never during the pause asked for, and forgets the pace after a quiet spell', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 0, 10, 900);
    paces.refused('c1', 950, 1000);
    const pace = paces.paceFor(['c1'], 1000)!;
    expect(pace.ratePerSecond).toBe(10);
    // Calls queued behind the one-second pause: PROBE_MS after the refusal is not enough, it counts from the pause's end.
    for (let i = 0; i < 200; i++) pace.reserve(1000, 60_000, 1950);
    expect(paces.paceFor(['c1'], 950 + PROBE_MS + 1)?.ratePerSecond).toBe(10);
    // Still queued, PROBE_MS after the pause: one step up per PROBE_MS.
    expect(paces.paceFor(['c1'], 1950 + PROBE_MS + 1)?.ratePerSecond).toBeCloseTo(11);
    expect(paces.paceFor(['c1'], 1950 + PROBE_MS + 2)?.ratePerSecond).toBeCloseTo(11);
    // Nothing queued: no probing.
    const idle = new LearnedPaces();
    accept(idle, 'c2', 0, 10, 900);
    idle.refused('c2', 950, 1000);
    expect(idle.paceFor(['c2'], 1950 + PROBE_MS + 1)?.ratePerSecond).toBe(10);
    // Forgotten FORGET_MS after the refusal, once nothing is queued behind it.
    expect(idle.paceFor(['c2'], 950 + FORGET_MS + 1)).toBeUndefined();
  });

  it('keeps a pace past FORGET_MS while calls are still queued behind it', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 0, 1, 900);
    paces.refused('c1', 950, 1000);
    const pace = paces.paceFor(['c1'], 1000)!;
    const late = 950 + FORGET_MS + 1;
    pace.reserve(late, 60_000);
    pace.reserve(late, 60_000);
    expect(paces.paceFor(['c1'], late)).toBe(pace);
  });

  it('steady traffic refused early in a second counts the second before it too, by its share', () => {
    const paces = new LearnedPaces();
    // 50 a second from 9 s on; refused 60 ms into second 11.
    accept(paces, 'c1', 9000, 103, 2060);
    expect(paces.refused('c1', 11_060, 1000)?.ratePerSecond).toBeCloseTo(50, -0.5);
    const steady = new LearnedPaces();
    accept(steady, 'c1', 9000, 103, 2060);
    expect(steady.refused('c1', 11_060, 1380)?.ratePerSecond).toBeCloseTo(50, -0.5);
    // An HTTP-date Retry-After of 1.38 s, traffic only within those 1.38 s (truly 50/s): two
    // whole seconds of buckets would say 34.5, the whole buckets inside the window 38.4; the
    // oldest second's share, taking its answers as spread over it, comes closer without going over.
    const dated = new LearnedPaces();
    accept(dated, 'c1', 9680, 69, 1380);
    const rate = dated.refused('c1', 11_060, 1380)!.ratePerSecond;
    expect(rate).toBeGreaterThan(40);
    expect(rate).toBeLessThanOrEqual(50);
  });

  it('a call on several keys keeps the slowest pace (a Slack method slower than its connection)', () => {
    const paces = new LearnedPaces();
    accept(paces, 'c1', 0, 40, 900);
    accept(paces, 'c1\nchat.postMessage', 0, 1, 900);
    paces.refused('c1', 950, 1000);
    paces.refused('c1\nchat.postMessage', 950, 1000);
    expect(paces.paceFor(['c1', 'c1\nchat.postMessage'], 1000)?.ratePerSecond).toBe(1);
    expect(paces.paceFor(['c1', 'c1\nconversations.list'], 1000)?.ratePerSecond).toBe(40);
  });
});
