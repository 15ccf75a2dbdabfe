/**
 * bottleneck, loaded once with its in-process store yielding through `setImmediate`
 * instead of `setTimeout(0)`.
 *
 * Why: bottleneck's LocalDatastore imitates its Redis store's asynchrony by awaiting
 * `yieldLoop()`, a `setTimeout(resolve, 0)`, in each of its steps; Node clamps that timer
 * to 1 ms, so every job paid 4-5 ms before it ran, even with a limit far above the load
 * (SGrondin/bottleneck#144; bench/README.md measured +5.6 ms per call). `setImmediate`
 * still yields to the event loop between the steps, which is what the store's callers
 * rely on, without the timer's floor. The store is pinned (bottleneck 2.19.5, its last
 * release) and `bottleneck-loader.test.ts` fails if the method this replaces is gone.
 */
import type Bottleneck from 'bottleneck';

let loaded: typeof Bottleneck | undefined;

export function loadBottleneck(): typeof Bottleneck {
  if (loaded) return loaded;
  const bottleneck = require('bottleneck') as typeof Bottleneck;
  const LocalDatastore = require('bottleneck/lib/LocalDatastore') as { prototype: { yieldLoop?: unknown; Promise?: PromiseConstructor } };
  if (typeof LocalDatastore.prototype.yieldLoop !== 'function')
    throw new Error('bottleneck changed: LocalDatastore.prototype.yieldLoop is gone (see gateway/upstream/bottleneck-loader.ts)');
  LocalDatastore.prototype.yieldLoop = function yieldLoop(this: { Promise: PromiseConstructor }): Promise<void> {
    return new this.Promise<void>((resolve) => setImmediate(resolve));
  };
  loaded = bottleneck;
  return bottleneck;
}
