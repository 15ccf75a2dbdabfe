import type Bottleneck from 'bottleneck';
import { createRateLimitStage, limitKey, limiterSpecs } from '.';
import type { Rates } from '../../core';

const counts = (c: Partial<Bottleneck.Counts>): Bottleneck.Counts => ({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 0, ...c });

describe('limiterSpecs', () => {
  test.each<[string, { given: Rates; want: { name: string; settings: Bottleneck.ConstructorOptions; describe: string }[] }]>([
    ['no rates: no limiter', { given: {}, want: [] }],
    ['perSecond: evenly spaced, 3% wider', { given: { perSecond: 3 }, want: [{ name: 's3', settings: { minTime: 344 }, describe: '3 requests per second' }] }],
    ['perSecond fraction', { given: { perSecond: 0.5 }, want: [{ name: 's0.5', settings: { minTime: 2060 }, describe: '0.5 requests per second' }] }],
    ['concurrency alone', { given: { concurrency: 4 }, want: [{ name: 'c4', settings: { maxConcurrent: 4 }, describe: '4 in flight at once' }] }],
    [
      'perSecond and concurrency: one limiter',
      {
        given: { perSecond: 10, concurrency: 2 },
        want: [{ name: 's10c2', settings: { minTime: 103, maxConcurrent: 2 }, describe: '10 requests per second and 2 in flight at once' }],
      },
    ],
    [
      'perMinute: a reservoir refilled each minute',
      {
        given: { perMinute: 100 },
        want: [
          { name: 'm100', settings: { reservoir: 100, reservoirRefreshAmount: 100, reservoirRefreshInterval: 60_000 }, describe: '100 requests per minute' },
        ],
      },
    ],
    [
      'perHour fraction: one per window/rate',
      {
        given: { perHour: 0.5 },
        want: [{ name: 'h0.5', settings: { reservoir: 1, reservoirRefreshAmount: 1, reservoirRefreshInterval: 7_200_000 }, describe: '0.5 requests per hour' }],
      },
    ],
    [
      'every window: chained, strictest spacing first',
      {
        given: { perSecond: 10, perMinute: 300, perHour: 5000 },
        want: [
          { name: 's10', settings: { minTime: 103 }, describe: '10 requests per second' },
          { name: 'm300', settings: { reservoir: 300, reservoirRefreshAmount: 300, reservoirRefreshInterval: 60_000 }, describe: '300 requests per minute' },
          {
            name: 'h5000',
            settings: { reservoir: 5000, reservoirRefreshAmount: 5000, reservoirRefreshInterval: 3_600_000 },
            describe: '5000 requests per hour',
          },
        ],
      },
    ],
  ])('%s', (_name, { given, want }) => {
    expect(limiterSpecs(given).map(({ name, settings, describe }) => ({ name, settings, describe }))).toEqual(want);
  });

  it('estimates a lower bound of the wait behind the jobs already in the limiter', () => {
    const [second] = limiterSpecs({ perSecond: 5 });
    expect(second.waitBehind(counts({}))).toBe(0);
    expect(second.waitBehind(counts({ QUEUED: 2, RUNNING: 1 }))).toBe(3 * 206);
    const [minute] = limiterSpecs({ perMinute: 10 });
    expect(minute.waitBehind(counts({ QUEUED: 9 }))).toBe(0);
    expect(minute.waitBehind(counts({ QUEUED: 25 }))).toBe(2 * 60_000);
    const [inFlight] = limiterSpecs({ concurrency: 1 });
    expect(inFlight.waitBehind(counts({ QUEUED: 50 }))).toBe(0);
  });

  it('estimates when to try again on the safe side', () => {
    const [second] = limiterSpecs({ perSecond: 5 });
    expect(second.retryIn(counts({ QUEUED: 2, RUNNING: 1 }))).toBe(4 * 206);
    const [minute] = limiterSpecs({ perMinute: 10 });
    expect(minute.retryIn(counts({}))).toBe(60_000);
    expect(minute.retryIn(counts({ QUEUED: 10 }))).toBe(2 * 60_000);
    expect(limiterSpecs({ concurrency: 1 })[0].retryIn(counts({ QUEUED: 50 }))).toBe(1000);
  });

  it('keeps limiter idle times past two windows, so a budget is not forgotten mid-window', () => {
    expect(limiterSpecs({ perHour: 100 })[0].idleMs).toBe(7_200_000);
    expect(limiterSpecs({ perSecond: 1 })[0].idleMs).toBe(300_000);
  });
});

describe('limitKey', () => {
  test.each<[string, { connectionId?: string; tenantId?: string }, string]>([
    ['the connection', { connectionId: 'c-1', tenantId: 't' }, 'c-1'],
    ['else the tenant', { tenantId: 't' }, 'tenant:t'],
    ['else anonymous', {}, 'anonymous'],
  ])('%s', (_name, scope, want) => {
    expect(limitKey(scope)).toBe(want);
  });
});

describe('createRateLimitStage', () => {
  it('checks its options when built, naming what is wrong and never echoing a URL', () => {
    expect(() => createRateLimitStage({ redisUrl: 'http://user:secret@example.com' })).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_CONFIG_USAGE', message: expect.not.stringContaining('secret') }),
    );
    expect(() => createRateLimitStage({ idPrefix: 'has space' })).toThrow(
      expect.objectContaining({ code: 'HUB_ERR_CONFIG_USAGE', message: expect.stringContaining('idPrefix') }),
    );
    expect(() => createRateLimitStage({ redisUrl: 'rediss://:pw@redis.internal:6380/2' })).not.toThrow();
  });
});
