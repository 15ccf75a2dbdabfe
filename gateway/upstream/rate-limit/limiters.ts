/**
 * One connector's bottleneck limiters, for one version of its `rateLimit` section:
 * - `perConnection`: a `Bottleneck.Group` per window, keyed by the call's connection
 *   (keys.ts `limitKey`), so one account's calls never spend another's budget;
 * - `perOperation`: a `Bottleneck.Group` per operation named (Slack's per-method tiers),
 *   keyed by connection like `perConnection`;
 * - `perConnector`: one limiter per window for the connector as a whole.
 * A call passes each of them in turn (connection, operation, connector), so every limit
 * holds. In one process a per-second rate is a pace instead (configured-pace.ts: no timer
 * for a call that may go now); with Redis, bottleneck keeps it so that every process
 * shares it.
 */
import type Bottleneck from 'bottleneck';
import type { RateLimitPolicy, Rates } from '../../core';
import { ConfiguredPace } from './configured-pace';
import type { LimiterEnv } from './environment';
import { limiterSpecs, type LimiterSpec } from './limiter-specs';

export interface ScheduledLimiter {
  spec: LimiterSpec;
  limiter: Bottleneck;
}

export class ConnectorLimiters {
  private readonly perConnection: { spec: LimiterSpec; group: Bottleneck.Group }[];
  private readonly perConnector: ScheduledLimiter[];
  /** By operation key: that operation's limits, per connection. */
  private readonly perOperation = new Map<string, { spec: LimiterSpec; group: Bottleneck.Group }[]>();
  /** The file's per-second rates, in one process (no Redis): paces instead of bottleneck's minTime. */
  readonly connectionPace?: ConfiguredPace;
  readonly operationPaces = new Map<string, ConfiguredPace>();
  readonly connectorPace?: ConfiguredPace;

  constructor(
    private readonly env: LimiterEnv,
    connectorId: string,
    policy: RateLimitPolicy,
    /** Each limiter made, so its errors and messages are heard. */
    listen: (limiter: Bottleneck) => void,
  ) {
    // In Redis the limiters are shared; in process, one of N workers keeps to its share of each rate.
    const share = env.clustered ? 1 : env.share;
    const sharedOut = (rates: Rates): Rates => (share === 1 ? rates : shareOf(rates, share));
    const id = (kind: string, spec: LimiterSpec) => `${env.idPrefix}:${connectorId}:${kind}:${spec.name}`;
    const groups = (rates: Rates, kind: string) =>
      limiterSpecs(sharedOut(rates)).map((spec) => {
        const group = new env.Bottleneck.Group({ ...spec.settings, ...env.storeOptions(), id: id(kind, spec), timeout: spec.idleMs });
        group.on('created', listen);
        return { spec, group };
      });
    const paced = (rates: Rates, describe: string): { rest: Rates; pace?: ConfiguredPace } => {
      if (env.clustered || rates.perSecond === undefined) return { rest: rates };
      const { perSecond: whole, ...rest } = rates;
      const perSecond = whole * share;
      return { rest, pace: new ConfiguredPace(perSecond, `${perSecond} requests per second${describe}`) };
    };
    const connection = paced(policy.perConnection, '');
    this.perConnection = groups(connection.rest, 'connection');
    this.connectionPace = connection.pace;
    for (const [operation, rates] of Object.entries(policy.perOperation)) {
      // Named in messages: "this connector's limit of 50 requests per minute for POST /chat.postMessage".
      const forOperation = paced(rates, ` for ${operation}`);
      this.perOperation.set(
        operation,
        groups(forOperation.rest, `operation:${operation}`).map(({ spec, group }) => ({
          spec: { ...spec, describe: `${spec.describe} for ${operation}` },
          group,
        })),
      );
      if (forOperation.pace) this.operationPaces.set(operation, forOperation.pace);
    }
    const connector = paced(policy.perConnector, '');
    this.connectorPace = connector.pace;
    this.perConnector = limiterSpecs(sharedOut(connector.rest)).map((spec) => {
      const limiter = new env.Bottleneck({ ...spec.settings, ...env.storeOptions(), id: id('connector', spec), timeout: spec.idleMs });
      listen(limiter);
      return { spec, limiter };
    });
  }

  /** The limiters a call of `operation` on connection `key` passes, in order. */
  for(key: string, operation: string): ScheduledLimiter[] {
    return [
      ...this.perConnection.map(({ spec, group }) => ({ spec, limiter: group.key(key) })),
      ...(this.perOperation.get(operation) ?? []).map(({ spec, group }) => ({ spec, limiter: group.key(key) })),
      ...this.perConnector,
    ];
  }

  /** A limiter whose channel reaches every process that limits this connection (to publish a hold on). */
  channel(key: string): Bottleneck | undefined {
    return this.perConnection[0]?.group.key(key) ?? this.perConnector[0]?.limiter;
  }

  /** The longest lower bound of the wait over the limiters, the limit that sets it, and when to try again. */
  static waitBehind(limiters: readonly ScheduledLimiter[]): { ms: number; retryMs: number; describe: string } {
    let ms = 0;
    let retryMs = 0;
    let describe = limiters[0].spec.describe;
    for (const { spec, limiter } of limiters) {
      const counts = limiter.counts();
      const lower = spec.waitBehind(counts);
      const retry = spec.retryIn(counts);
      // Named: the limit that holds the call longest (by the bound when there is one, else by the estimate).
      if (lower > ms || (ms === 0 && retry > retryMs)) describe = spec.describe;
      ms = Math.max(ms, lower);
      retryMs = Math.max(retryMs, retry);
    }
    return { ms, retryMs: Math.max(ms, retryMs), describe };
  }

  /** Replaced by a reload: calls already waiting go on, then the limiters go. */
  retire(): void {
    for (const limiter of this.all()) {
      limiter
        .stop({ dropWaitingJobs: false })
        .then(() => limiter.disconnect(false))
        .catch(this.env.onError);
    }
    this.stopGroups();
  }

  /** Jobs still waiting are dropped; `storeUp` false (Redis gone): nothing waits on the limiters, which would wait on Redis. */
  async close(storeUp: boolean): Promise<void> {
    const stopped = Promise.all(
      this.all().map(async (limiter) => {
        await limiter.stop({ dropWaitingJobs: true, dropErrorMessage: 'the rate limiter was closed' }).catch(this.env.onError);
        await Promise.resolve(limiter.disconnect(false)).catch(this.env.onError);
      }),
    );
    this.stopGroups();
    if (storeUp) await stopped;
  }

  private all(): Bottleneck[] {
    return [...this.groups().flatMap((group) => group.limiters().map((pair) => pair.limiter)), ...this.perConnector.map(({ limiter }) => limiter)];
  }

  private groups(): Bottleneck.Group[] {
    return [...this.perConnection, ...[...this.perOperation.values()].flat()].map(({ group }) => group);
  }

  /** A Group sweeps idle keys on an (unref'd) interval of its own; it has no call to end it. */
  private stopGroups(): void {
    for (const group of this.groups()) clearInterval((group as unknown as { interval?: NodeJS.Timeout }).interval);
  }
}

/** `share` of each rate; concurrency rounds down but never below one request in flight. */
function shareOf(rates: Rates, share: number): Rates {
  const part = (rate: number | undefined) => (rate === undefined ? undefined : rate * share);
  const scaled: Rates = {};
  if (rates.perSecond !== undefined) scaled.perSecond = part(rates.perSecond);
  if (rates.perMinute !== undefined) scaled.perMinute = part(rates.perMinute);
  if (rates.perHour !== undefined) scaled.perHour = part(rates.perHour);
  if (rates.concurrency !== undefined) scaled.concurrency = Math.max(1, Math.floor(rates.concurrency * share));
  return scaled;
}
