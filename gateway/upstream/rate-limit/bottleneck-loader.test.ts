import { loadBottleneck } from './bottleneck-loader';

describe('loadBottleneck', () => {
  it('patches the in-process store to yield without a timer, and the limiter still keeps its spacing and order', async () => {
    const Bottleneck = loadBottleneck();
    expect(loadBottleneck()).toBe(Bottleneck);
    const LocalDatastore = require('bottleneck/lib/LocalDatastore') as { prototype: { yieldLoop: () => Promise<void> } };
    expect(String(LocalDatastore.prototype.yieldLoop)).toContain('setImmediate');
    // What the patch is for: a job on an idle limiter waits for no 0 ms timer in the store.
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      await new Bottleneck().schedule(async () => undefined);
      const zeroDelay = timers.mock.calls.filter(([, ms]) => ms === undefined || ms === 0).length;
      // bottleneck's own scheduler (Bottleneck.js _run) still sets one per job; the store's four to five yields are gone.
      expect(zeroDelay).toBeLessThanOrEqual(1);
    } finally {
      timers.mockRestore();
    }

    const limiter = new Bottleneck({ minTime: 20, maxConcurrent: 2 });
    const started: number[] = [];
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.schedule(async () => {
          started.push(performance.now());
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // bottleneck spaces registrations, so one start may come a timer's jitter early; over ten the spacing holds.
    // Measured from the second start: a busy machine can hold up the first, and the rest keep to its schedule.
    expect(started[9] - started[1]).toBeGreaterThanOrEqual(8 * 20 - 5);
    await limiter.stop();
  });
});
