/**
 * Rate limits (DESIGN.md stage 9): the upstream's rules as bottleneck limiters, kept in
 * step with what its responses say, shared across gateway processes through Redis
 * (Octokit `plugin-throttling`: bottleneck, fed by Retry-After and x-ratelimit-*).
 *
 * Per connector, from its `rateLimit` section (gateway/upstream/policy.ts):
 * - `perConnection`: a `Bottleneck.Group` per window, keyed by the call's connection
 *   (`scope.connectionId`, else `tenant:<tenantId>`, else `anonymous`), so one account's
 *   calls never spend another's budget;
 * - `perOperation`: a `Bottleneck.Group` per operation named (Slack's per-method tiers),
 *   keyed by connection like `perConnection`;
 * - `perConnector`: one limiter per window for the connector as a whole;
 * - a call passes each of them in turn (connection, operation, connector), so every
 *   limit holds.
 *
 * A rate becomes: `perSecond` -> a pace in one process (pace.ts: requests spaced evenly,
 * 3% wider than the rate so jitter on the way cannot make the upstream count one too
 * many in a second), or with Redis bottleneck's `minTime` (`limiterSpecs`, in whole
 * milliseconds) so that every process shares it; `perMinute`, `perHour` -> a reservoir
 * refilled each window (bursts allowed within it); `concurrency` -> `maxConcurrent`.
 * No rates and `headers: none`: no limiter and no work at all.
 *
 * The upstream's own word comes first: after each response its rate-limit headers are
 * read (rate-limit-headers.ts), and a used-up window (remaining 0 with a reset time) or
 * a 429's Retry-After holds the connection's further calls until then, each released
 * with its own jitter, so they wait instead of hitting the wall. Slack's limits are per
 * method and GitHub's windows per resource (`x-ratelimit-resource`): there only the
 * method, or the operations seen spending that resource, are held.
 *
 * A connection refused with a 429 (or a secondary-limit 403) is paced from then on at the
 * rate the upstream accepted just before it (learned-pace.ts): the calls the refusal held
 * back leave evenly spaced after the hold instead of in one burst, so a connector with no
 * rates in its file still absorbs a 429 storm.
 *
 * A call never hangs: one that would wait longer than `rateLimit.maxWaitMs` (for a hold,
 * or behind the calls queued ahead of it) fails at once with HUB_ERR_RATE_LIMITED saying
 * when to try again; one that has waited that long fails then; a cancelled call stops
 * waiting at once. Nothing reaches the upstream in either case.
 *
 * With a Redis URL (LUNAR_REDIS_URL) every limiter is clustered (bottleneck's
 * `IORedisConnection`, one connection for all limiters): gateway processes with the
 * same `idPrefix` share each budget, and a hold learnt by one is published to the
 * others on the limiter's channel.
 */
import type Bottleneck from 'bottleneck';
import type Redis from 'ioredis';
import { errors, isHubError, type HubError } from '../../errors';
import type { Exchange, ExchangeRequest, ExchangeResponse, ExchangeScope, ExchangeStage } from './exchange';
import { DEFAULT_UPSTREAM_POLICY, type RateLimitPolicy, type Rates } from '../core';
import { loadBottleneck } from './bottleneck-loader';
import { LearnedPaces } from './learned-pace';
import { Pace, reserveAll, SPACING_MARGIN } from './pace';
import { header, readResponseLimits } from './rate-limit-headers';
import { abortReason, sleep } from './retry';

export interface RateLimitStageOptions {
  /** `redis://` or `rediss://` (LUNAR_REDIS_URL): limiters share their state with every process using the same Redis and `idPrefix`. */
  redisUrl?: string;
  /** Starts every limiter id, hence every Redis key (`b_<idPrefix>:...`) and channel; default `lunar-hub`. */
  idPrefix?: string;
  /** Errors of the limiters or of Redis (the calls themselves are bounded by `maxWaitMs`); ignored by default. */
  onError?: (error: unknown) => void;
}

export interface RateLimitStage {
  stage: ExchangeStage;
  /** Stops the limiters (calls still waiting fail) and closes the Redis connection. */
  close(): Promise<void>;
}

const WINDOW_MS = { perMinute: 60_000, perHour: 3_600_000 } as const;
/**
 * A call whose turn comes within maxWaitMs may still need this long for the limiter's
 * own bookkeeping (a Redis round trip): the deadline timer allows it, so `maxWaitMs: 0`
 * means "only when it can go now", not "never".
 */
const BOOKKEEPING_MS = 100;
/** Idle limiters (and their Redis keys) go after this long, or two of their windows. */
const IDLE_MS = 5 * 60_000;

type BottleneckClass = typeof Bottleneck;

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
    const words = [perSecond !== undefined ? `${perSecond} requests per second` : undefined, concurrency !== undefined ? `${concurrency} in flight at once` : undefined];
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

/** Whose budget a call spends: its connection, else its tenant, else the anonymous one. */
export function limitKey(scope: Pick<ExchangeScope, 'connectionId' | 'tenantId'>): string {
  if (scope.connectionId !== undefined) return scope.connectionId;
  return scope.tenantId !== undefined ? `tenant:${scope.tenantId}` : 'anonymous';
}

function hasRates(rates: Rates): boolean {
  return rates.perSecond !== undefined || rates.perMinute !== undefined || rates.perHour !== undefined || rates.concurrency !== undefined;
}

export function createRateLimitStage(options: RateLimitStageOptions = {}): RateLimitStage {
  const idPrefix = options.idPrefix ?? 'lunar-hub';
  if (!/^[\w.:-]{1,100}$/.test(idPrefix)) throw errors.CONFIG_USAGE([`rate limiter idPrefix must be 1-100 characters of letters, digits, "_", ".", ":" and "-" (got ${JSON.stringify(idPrefix)})`]);
  if (options.redisUrl !== undefined && !isRedisUrl(options.redisUrl)) {
    // The value may hold a password: it is not repeated.
    throw errors.CONFIG_USAGE(['LUNAR_REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379']);
  }
  const env = new LimiterEnv(idPrefix, options.redisUrl, options.onError ?? (() => {}));
  const byConnector = new Map<string, ConnectorLimits>();
  // Policies are frozen per registry snapshot: each is serialised once, not per call.
  const signatures = new WeakMap<RateLimitPolicy, string>();

  function limitsFor(connectorId: string, policy: RateLimitPolicy): ConnectorLimits {
    let signature = signatures.get(policy);
    if (signature === undefined) {
      signature = JSON.stringify(policy);
      signatures.set(policy, signature);
    }
    let limits = byConnector.get(connectorId);
    if (limits?.signature !== signature) {
      // A reload changed the connector's limits: new limiters, the holds the upstream asked for kept.
      const previous = limits;
      limits = new ConnectorLimits(env, connectorId, policy, signature, previous?.holds, previous?.paces);
      byConnector.set(connectorId, limits);
      previous?.retire();
    }
    return limits;
  }

  const stage: ExchangeStage = (next) => (request) => {
    const policy = (request.connector.policy ?? DEFAULT_UPSTREAM_POLICY).rateLimit;
    if (policy.headers === 'none' && !hasRates(policy.perConnection) && !hasRates(policy.perConnector) && Object.keys(policy.perOperation).length === 0) return next(request);
    if (env.closed) return Promise.reject(errors.INTERNAL(['the rate limiter is closed (the hub is shutting down)']));
    return limitsFor(request.connector.id, policy).run(request, next);
  };

  return {
    stage,
    async close() {
      if (env.closed) return;
      env.closed = true;
      // With Redis down, the limiters would wait on it to stop: the connection goes first.
      const storeUp = env.storeReady;
      if (!storeUp) await env.close();
      await Promise.all([...byConnector.values()].map((limits) => limits.close(storeUp)));
      byConnector.clear();
      await env.close();
    },
  };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** What every connector's limiters share: bottleneck itself, the Redis connection, the id prefix. */
class LimiterEnv {
  closed = false;
  private bottleneck?: BottleneckClass;
  private connection?: Bottleneck.IORedisConnection;
  private client?: Redis;
  /** The error Redis failed with, until it is ready again. */
  private storeError?: unknown;
  /** Told of each Redis failure: the calls waiting on it stop waiting. */
  readonly storeListeners = new Set<(error: unknown) => void>();

  constructor(
    readonly idPrefix: string,
    readonly redisUrl: string | undefined,
    readonly onError: (error: unknown) => void,
  ) {}

  /** Loaded with the first limiter: a hub without limits never loads bottleneck. */
  get Bottleneck(): BottleneckClass {
    this.bottleneck ??= loadBottleneck();
    return this.bottleneck;
  }

  get clustered(): boolean {
    return this.redisUrl !== undefined;
  }

  /** Options that put a limiter in Redis (one shared connection), or nothing for a local one. */
  storeOptions(): Bottleneck.ConstructorOptions {
    if (this.redisUrl === undefined) return {};
    if (!this.connection) {
      const RedisClient = require('ioredis') as typeof Redis;
      // Few retries per command: with Redis down a call fails with a coded error instead of queueing.
      this.client = new RedisClient(this.redisUrl, { maxRetriesPerRequest: 2 });
      this.connection = new this.Bottleneck.IORedisConnection({ client: this.client, Redis: RedisClient });
      this.connection.on('error', (error: unknown) => {
        // ioredis reports each failed reconnection: one report per outage is enough.
        if (this.storeError === undefined) this.onError(error);
        this.storeError = error;
        for (const listener of this.storeListeners) listener(error);
      });
      this.client.on('ready', () => {
        this.storeError = undefined;
      });
    }
    return { datastore: 'ioredis', connection: this.connection };
  }

  /** Redis answers (or there is no Redis). */
  get storeReady(): boolean {
    return this.client === undefined || this.client.status === 'ready';
  }

  /** Why Redis cannot be used now: it failed and has not come back; undefined while it answers or still connects the first time. */
  get storeDown(): unknown {
    return this.client !== undefined && this.client.status !== 'ready' ? this.storeError : undefined;
  }

  /** Quits Redis politely when it answers; drops the connection at once when it does not (a QUIT would wait for it). */
  async close(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    if (this.storeReady) await connection.disconnect(true).catch(() => connection.disconnect(false));
    else await connection.disconnect(false);
  }
}

interface Hold {
  until: number;
  /** Why, in words: what the upstream said. */
  why: string;
}

/** A job that found its call gone (cancelled, or given up waiting): nothing was sent. */
const SKIPPED = Symbol('skipped');

/** One connector's limiters and holds, for one version of its `rateLimit` section. */
class ConnectorLimits {
  private readonly perConnection: { spec: LimiterSpec; group: Bottleneck.Group }[];
  private readonly perConnector: { spec: LimiterSpec; limiter: Bottleneck }[];
  /** By operation key: that operation's limits, per connection. */
  private readonly perOperation = new Map<string, { spec: LimiterSpec; group: Bottleneck.Group }[]>();
  /** The file's per-second rates, in one process (no Redis): paces instead of bottleneck's minTime. */
  private readonly connectionPace?: ConfiguredPace;
  private readonly operationPaces = new Map<string, ConfiguredPace>();
  private readonly connectorPace?: ConfiguredPace;
  private readonly perMethod: boolean;
  /** GitHub: the budget (`x-ratelimit-resource`: core, search, graphql...) each operation was last seen spending. */
  private readonly resourceOf = new Map<string, string>();
  /** The last error a limiter reported (Redis failing): a call that times out says so. */
  private lastError?: { at: number; error: unknown };
  /** Calls waiting for their turn: a clustered limiter's failure ends their wait at once. */
  private readonly waiting = new Set<{ turn: Turn; tool: string }>();

  constructor(
    private readonly env: LimiterEnv,
    private readonly connectorId: string,
    private readonly policy: RateLimitPolicy,
    readonly signature: string,
    readonly holds: Map<string, Hold> = new Map(),
    /** Paces learnt from the upstream's refusals (learned-pace.ts); kept, like the holds, across a reload. */
    readonly paces: LearnedPaces = new LearnedPaces(),
  ) {
    this.perMethod = policy.headers === 'slack';
    if (env.clustered) env.storeListeners.add(this.onStoreError);
    const id = (kind: string, spec: LimiterSpec) => `${env.idPrefix}:${connectorId}:${kind}:${spec.name}`;
    const groups = (rates: Rates, kind: string) =>
      limiterSpecs(rates).map((spec) => {
        const group = new env.Bottleneck.Group({ ...spec.settings, ...env.storeOptions(), id: id(kind, spec), timeout: spec.idleMs });
        group.on('created', (limiter: Bottleneck) => this.listen(limiter));
        return { spec, group };
      });
    // In one process a per-second rate is a Pace (pace.ts: no timer for a call that may go
    // now); with Redis, bottleneck keeps it so that every process shares it.
    const paced = (rates: Rates, describe: string): { rest: Rates; pace?: ConfiguredPace } => {
      if (env.clustered || rates.perSecond === undefined) return { rest: rates };
      const { perSecond, ...rest } = rates;
      return { rest, pace: new ConfiguredPace(perSecond, `${perSecond} requests per second${describe}`) };
    };
    const connection = paced(policy.perConnection, '');
    this.perConnection = groups(connection.rest, 'connection');
    this.connectionPace = connection.pace;
    for (const [operation, rates] of Object.entries(policy.perOperation)) {
      // Named in messages: "this connector's limit of 50 requests per minute for POST /chat.postMessage".
      const forOperation = paced(rates, ` for ${operation}`);
      this.perOperation.set(operation, groups(forOperation.rest, `operation:${operation}`).map(({ spec, group }) => ({ spec: { ...spec, describe: `${spec.describe} for ${operation}` }, group })));
      if (forOperation.pace) this.operationPaces.set(operation, forOperation.pace);
    }
    const connector = paced(policy.perConnector, '');
    this.connectorPace = connector.pace;
    this.perConnector = limiterSpecs(connector.rest).map((spec) => {
      const limiter = new env.Bottleneck({ ...spec.settings, ...env.storeOptions(), id: id('connector', spec), timeout: spec.idleMs });
      this.listen(limiter);
      return { spec, limiter };
    });
  }

  async run(request: ExchangeRequest, next: Exchange): Promise<ExchangeResponse> {
    if (request.signal.aborted) throw abortReason(request.signal);
    const key = limitKey(request.scope);
    const holdKeys = this.holdKeys(key, request.scope.operation);
    const started = Date.now();
    const deadline = started + this.policy.maxWaitMs;

    const operation = request.scope.operation;
    // Looked up when the call is about to leave, not now: a pace swept while the call waited is not shared by two.
    const paces = () => [this.connectionPace?.for(key), this.operationPaces.get(operation)?.for(key), this.connectorPace?.for('')].filter((p): p is Paced => p !== undefined);
    const limiters = [
      ...this.perConnection.map(({ spec, group }) => ({ spec, limiter: group.key(key) })),
      ...(this.perOperation.get(operation) ?? []).map(({ spec, group }) => ({ spec, limiter: group.key(key) })),
      ...this.perConnector,
    ];
    let response: ExchangeResponse;
    if (limiters.length === 0) {
      await this.depart(request, holdKeys, paces, deadline, request.signal);
      response = await next(request);
    } else {
      // Held calls wait before they queue; their slots in the paces are taken once the limiters let them through.
      await this.waitForHold(request, holdKeys, deadline);
      response = await this.schedule(request, next, limiters, holdKeys, paces, deadline);
    }
    this.learn(response, key, operation);
    return response;
  }

  /** A hold the upstream asked for (Retry-After, a used-up window): waited out, or refused when it ends past the deadline. */
  private async waitForHold(request: ExchangeRequest, holdKeys: string[], deadline: number): Promise<void> {
    const now = Date.now();
    const hold = this.heldUntil(holdKeys, now);
    if (hold === undefined) return;
    if (hold.until > deadline) throw this.holdRefusal(request, hold, now);
    await sleep(this.holdWait(request, hold, now, deadline), request.signal);
  }

  /**
   * Until the call may leave: after any hold, and at its slot in every pace it keeps (the
   * file's per-second rates in this process, and the rate learnt from the upstream's
   * refusals, learned-pace.ts), one slot in all of them at once. Throws the refusal when
   * that is past the deadline; the call's `signal` ends the wait.
   */
  private async depart(request: ExchangeRequest, holdKeys: string[], configured: () => Paced[], deadline: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const hold = this.heldUntil(holdKeys, now);
      if (hold !== undefined && hold.until > deadline) throw this.holdRefusal(request, hold, now);
      const paces = this.pacesFor(holdKeys, configured, now);
      if (paces.length === 0) {
        // Released with jitter of their own: the calls a hold kept back do not all go in the same millisecond.
        if (hold !== undefined) await sleep(this.holdWait(request, hold, now, deadline), signal);
        return;
      }
      // Paced: slots after the hold, evenly spaced. Inside a limiter's job the deadline may
      // just have passed (its bookkeeping); within a millisecond counts as now.
      const wait = reserveAll(paces.map((p) => p.pace), now, Math.max(0, deadline - now) + 1, hold?.until ?? now);
      if (wait === undefined) throw this.paceRefusal(request, paces, now);
      // Less than a millisecond is not worth a timer (none waits that little, and Date.now() counts whole ones): the slot stays reserved.
      if (wait < 1) return;
      const slotAt = now + wait;
      await sleep(wait, signal);
      // A refusal while it waited may have put a hold beyond its slot: it takes a new one after it.
      // (The hold its slot was placed after is no reason: a timer may fire a millisecond early.)
      const later = this.heldUntil(holdKeys, Date.now());
      if (later === undefined || later.until <= slotAt) return;
    }
  }

  /** The paces a call keeps now: the one learnt for its keys, if any, and the file's. */
  private pacesFor(holdKeys: string[], configured: () => Paced[], now: number): Paced[] {
    const learned = this.paces.paceFor(holdKeys, now);
    return learned === undefined ? configured() : [{ pace: learned }, ...configured()];
  }

  private holdRefusal(request: ExchangeRequest, hold: Hold, now: number): HubError {
    return this.refused(request, hold.until - now, `${hold.why}, longer than this connector waits (rateLimit.maxWaitMs ${seconds(this.policy.maxWaitMs)})`);
  }

  /** The pace whose queue is longest says why the call cannot wait its turn. */
  private paceRefusal(request: ExchangeRequest, paces: readonly Paced[], now: number): HubError {
    const slowest = paces.reduce((a, b) => (b.pace.nextFreeAt > a.pace.nextFreeAt ? b : a));
    const backlog = slowest.pace.backlogMs(now);
    const maxWait = `rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)})`;
    if (slowest.describe === undefined) {
      return this.refused(request, backlog, `the upstream refused this connection's calls when they came faster than about ${rateWords(slowest.pace.ratePerSecond)}; the calls ahead of it need about ${seconds(backlog)} at that pace, longer than ${maxWait} allows`);
    }
    return this.refused(request, backlog + slowest.pace.intervalMs, `the calls queued ahead of it need about ${seconds(backlog)} under this connector's limit of ${slowest.describe}, longer than ${maxWait} allows`);
  }

  /** The call through every limiter in turn, bounded by the deadline and the call's signal. */
  private async schedule(
    request: ExchangeRequest,
    next: Exchange,
    limiters: { spec: LimiterSpec; limiter: Bottleneck }[],
    holdKeys: string[],
    paces: () => Paced[],
    deadline: number,
  ): Promise<ExchangeResponse> {
    const behind = this.waitBehind(limiters);
    // Nothing queued ahead is never a reason (with maxWaitMs 0 the clock may have moved a millisecond since the call came).
    if (behind.ms > 0 && Date.now() + behind.ms > deadline) {
      throw this.refused(request, behind.retryMs, `the calls queued ahead of it need about ${seconds(behind.ms)} under this connector's limit of ${behind.describe}, longer than rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)}) allows`);
    }
    const now = Date.now();
    // A pace already queued past the deadline: refused now, before it spends a place or a token in the limiters.
    const queued = this.pacesFor(holdKeys, paces, now);
    if (queued.some((p) => p.pace.nextFreeAt > Math.max(now, deadline) + 1)) throw this.paceRefusal(request, queued, now);
    const down = this.env.storeDown;
    if (down !== undefined) throw this.storeFailed(request.scope.tool, down);
    const queuedAt = Date.now();
    const turn = new Turn(request.signal, deadline + BOOKKEEPING_MS, () => this.late(request, limiters, queuedAt));
    const waiter = { turn, tool: request.scope.tool };
    this.waiting.add(waiter);
    const job = async (): Promise<ExchangeResponse | typeof SKIPPED> => {
      if (turn.abandoned) return SKIPPED;
      // The upstream may have asked for a pause while this call queued; and the paces' slots are taken now.
      try {
        await this.depart(request, holdKeys, paces, deadline, turn.signal);
      } catch (error) {
        turn.giveUp(error);
        return SKIPPED;
      }
      this.waiting.delete(waiter);
      if (!turn.start()) return SKIPPED;
      return next(request);
    };
    const chained = limiters.reduceRight<() => Promise<ExchangeResponse | typeof SKIPPED>>((inner, { limiter }) => () => limiter.schedule(inner), job);
    try {
      // SKIPPED is only ever returned after the turn was given up, which settles the race first.
      return (await Promise.race([chained(), turn.settled])) as ExchangeResponse;
    } catch (error) {
      this.waiting.delete(waiter);
      if (turn.started || turn.abandoned) throw error;
      // The limiter itself failed (Redis, or the hub closing) before the call went out.
      const failure = this.limiterFailure(request, error);
      turn.giveUp(failure);
      throw failure;
    }
  }

  /** After each response: what the upstream says about its window becomes a hold. */
  private learn(response: ExchangeResponse, key: string, operation: string): void {
    const convention = this.policy.headers;
    if (convention === 'none') return;
    const now = Date.now();
    const info = readResponseLimits(response, convention, now);
    const resource = convention === 'github' ? header(response.headers, 'x-ratelimit-resource')?.toLowerCase() : undefined;
    if (resource !== undefined) this.resourceOf.set(operation, resource);
    // What the upstream accepts, counted for the pace a refusal will learn (5xx answers say nothing
    // of the rate), where a refusal would learn it: per method for Slack, per connection otherwise.
    if (!info.limited && response.status < 500) this.paces.accepted(this.perMethod ? methodKey(key, operation) : key, now);
    let hold: Hold | undefined;
    if (info.limited && info.retryAfterMs !== undefined && info.retryAfterMs > 0) {
      hold = { until: now + info.retryAfterMs, why: `the upstream refused a call of this connection with HTTP ${response.status} and asked to wait ${seconds(info.retryAfterMs)}` };
    } else if (info.remaining === 0 && info.resetAtMs !== undefined && info.resetAtMs > now) {
      const window = resource !== undefined ? `its "${resource}" window` : 'its window';
      hold = { until: info.resetAtMs, why: `the upstream said this connection has no requests left until ${window} resets` };
    }
    if (hold === undefined) return;
    // Slack's limits are per method; GitHub's windows per resource (search's 30 a minute is not core's 5000 an hour),
    // its secondary limits (a Retry-After) for the whole account.
    let holdKey = key;
    if (this.perMethod && info.limited) holdKey = methodKey(key, operation);
    else if (resource !== undefined && info.retryAfterMs === undefined) holdKey = resourceKey(key, resource);
    this.setHold(holdKey, hold);
    if (info.limited && info.retryAfterMs !== undefined && info.retryAfterMs > 0) this.paces.refused(holdKey, now, info.retryAfterMs);
    // Other gateway processes hear of it on the limiter's channel (local limiters hear themselves).
    const channel = this.perConnection[0]?.group.key(key) ?? this.perConnector[0]?.limiter;
    channel?.publish(JSON.stringify({ hold: holdKey, ...hold, ...(resource !== undefined ? { operation, resource } : {}) })).catch(this.env.onError);
  }

  /**
   * Until the hold ends, plus up to `retry.baseDelayMs` of jitter (within the deadline):
   * the calls a hold kept back do not all go in the same millisecond.
   */
  private holdWait(request: ExchangeRequest, hold: Hold, now: number, deadline: number): number {
    const jitter = Math.random() * Math.min((request.connector.policy ?? DEFAULT_UPSTREAM_POLICY).retry.baseDelayMs, Math.max(0, deadline - hold.until));
    return hold.until - now + jitter;
  }

  /** The holds a call of `operation` on connection `key` must respect. */
  private holdKeys(key: string, operation: string): string[] {
    if (this.perMethod) return [key, methodKey(key, operation)];
    const resource = this.resourceOf.get(operation);
    return resource === undefined ? [key] : [key, resourceKey(key, resource)];
  }

  private setHold(holdKey: string, hold: Hold): void {
    const current = this.holds.get(holdKey);
    if (current === undefined || current.until < hold.until) this.holds.set(holdKey, hold);
    if (this.holds.size > 10_000) {
      const now = Date.now();
      for (const [k, v] of this.holds) if (v.until <= now) this.holds.delete(k);
    }
  }

  private heldUntil(holdKeys: string[], now: number): Hold | undefined {
    let latest: Hold | undefined;
    for (const holdKey of holdKeys) {
      const hold = this.holds.get(holdKey);
      if (hold === undefined) continue;
      if (hold.until <= now) this.holds.delete(holdKey);
      else if (latest === undefined || hold.until > latest.until) latest = hold;
    }
    return latest;
  }

  private listen(limiter: Bottleneck): void {
    limiter.on('error', (error: unknown) => {
      this.env.onError(error);
      if (this.env.clustered) this.onStoreError(error);
    });
    limiter.on('message', (message: string) => {
      try {
        const { hold, until, why, operation, resource } = JSON.parse(message) as Record<string, unknown>;
        if (typeof operation === 'string' && typeof resource === 'string') this.resourceOf.set(operation, resource);
        if (typeof hold === 'string' && typeof until === 'number' && Number.isFinite(until) && typeof why === 'string') this.setHold(hold, { until, why });
      } catch {
        // Not one of ours.
      }
    });
  }

  /** Redis failed: the calls waiting on it would only find out at their deadline. */
  private readonly onStoreError = (error: unknown): void => {
    this.lastError = { at: Date.now(), error };
    for (const { turn, tool } of this.waiting) turn.giveUp(this.storeFailed(tool, error));
  };

  /** The longest lower bound of the wait over the limiters, the limit that sets it, and when to try again. */
  private waitBehind(limiters: { spec: LimiterSpec; limiter: Bottleneck }[]): { ms: number; retryMs: number; describe: string } {
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

  /** The deadline passed while the call was still waiting for the limiter. */
  private late(request: ExchangeRequest, limiters: { spec: LimiterSpec; limiter: Bottleneck }[], queuedAt: number): HubError {
    if (!this.env.storeReady) return errors.RATE_STORE([request.scope.tool, `did not answer within rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)})`]);
    if (this.lastError !== undefined && this.lastError.at >= queuedAt) return this.storeFailed(request.scope.tool, this.lastError.error);
    const behind = this.waitBehind(limiters);
    return this.refused(request, behind.retryMs, `it waited rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)}) for this connector's limit of ${behind.describe}`);
  }

  private limiterFailure(request: ExchangeRequest, error: unknown): HubError {
    if (isHubError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (this.env.closed) return errors.INTERNAL(['the rate limiter is closed (the hub is shutting down)'], { cause: error });
    if (this.env.clustered) return this.storeFailed(request.scope.tool, error);
    return errors.INTERNAL([`rate limiter: ${message}`], { cause: error });
  }

  private storeFailed(tool: string, error: unknown): HubError {
    return errors.RATE_STORE([tool, `failed: ${error instanceof Error ? error.message : String(error)}`], { cause: error });
  }

  private refused(request: ExchangeRequest, waitMs: number, reason: string): HubError {
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    const at = new Date(Date.now() + retryAfterSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return errors.RATE_LIMITED([request.scope.tool, reason, String(retryAfterSeconds), at], {
      details: { retryAfterSeconds, connector: this.connectorId },
    });
  }

  private limiters(): Bottleneck[] {
    return [...this.groups().flatMap((group) => group.limiters().map((pair) => pair.limiter)), ...this.perConnector.map(({ limiter }) => limiter)];
  }

  private groups(): Bottleneck.Group[] {
    return [...this.perConnection, ...[...this.perOperation.values()].flat()].map(({ group }) => group);
  }

  /** Replaced by a reload: calls already waiting go on, then the limiters go. */
  retire(): void {
    this.env.storeListeners.delete(this.onStoreError);
    for (const limiter of this.limiters()) {
      limiter
        .stop({ dropWaitingJobs: false })
        .then(() => limiter.disconnect(false))
        .catch(this.env.onError);
    }
    this.stopGroups();
  }

  /** Calls still waiting fail; `storeUp` false (Redis gone): nothing waits on the limiters, which would wait on Redis. */
  async close(storeUp: boolean): Promise<void> {
    this.env.storeListeners.delete(this.onStoreError);
    const closed = () => errors.INTERNAL(['the rate limiter is closed (the hub is shutting down)']);
    for (const { turn } of this.waiting) turn.giveUp(closed());
    this.waiting.clear();
    const stopped = Promise.all(
      this.limiters().map(async (limiter) => {
        await limiter.stop({ dropWaitingJobs: true, dropErrorMessage: 'the rate limiter was closed' }).catch(this.env.onError);
        await Promise.resolve(limiter.disconnect(false)).catch(this.env.onError);
      }),
    );
    this.stopGroups();
    if (storeUp) await stopped;
  }

  /** A Group sweeps idle keys on an (unref'd) interval of its own; it has no call to end it. */
  private stopGroups(): void {
    for (const group of this.groups()) clearInterval((group as unknown as { interval?: NodeJS.Timeout }).interval);
  }
}

/** A pace a call keeps, and in words the file's limit it stands for (none: learnt from the upstream). */
interface Paced {
  pace: Pace;
  describe?: string;
}

/** A per-second rate from the connector file, one pace per connection (or one for the connector). */
class ConfiguredPace {
  private readonly byKey = new Map<string, Pace>();

  constructor(
    private readonly perSecond: number,
    private readonly describe: string,
  ) {}

  for(key: string): Paced {
    let pace = this.byKey.get(key);
    if (pace === undefined) {
      if (this.byKey.size >= 10_000) this.sweep();
      pace = new Pace(this.perSecond);
      this.byKey.set(key, pace);
    }
    return { pace, describe: this.describe };
  }

  /** Paces with nothing queued forget nothing by going: a new one may send at once, as they could. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, pace] of this.byKey) if (pace.backlogMs(now) === 0) this.byKey.delete(key);
  }
}

/** Slack's limits are per method: a hold learnt on one method holds that method only. */
function methodKey(key: string, operation: string): string {
  return `${key}\n${operation}`;
}

/** GitHub's are per resource: a used-up search window holds the operations seen spending it. */
function resourceKey(key: string, resource: string): string {
  return `${key}\nresource:${resource}`;
}

function rateWords(perSecond: number): string {
  if (perSecond >= 10) return `${Math.floor(perSecond)} requests per second`;
  if (perSecond >= 1) return `${Number(perSecond.toFixed(1))} requests per second`;
  return `${Math.max(1, Math.floor(perSecond * 60))} requests per minute`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s < 10 ? s.toFixed(1) : Math.ceil(s)} s`;
}

/**
 * A call's wait for its turn: ends in a rejection when the call is cancelled or the
 * deadline passes, unless the call started first; from then on the deadline is off and
 * a cancellation goes to undici with the request's signal.
 */
class Turn {
  readonly settled: Promise<never>;
  started = false;
  private readonly controller = new AbortController();
  private rejectSettled!: (error: unknown) => void;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => this.giveUp(abortReason(this.callSignal));

  constructor(
    private readonly callSignal: AbortSignal,
    deadline: number,
    late: () => Error,
  ) {
    this.settled = new Promise<never>((_, reject) => {
      this.rejectSettled = reject;
    });
    this.timer = setTimeout(() => this.giveUp(late()), Math.max(0, deadline - Date.now()));
    if (callSignal.aborted) queueMicrotask(this.onAbort);
    else callSignal.addEventListener('abort', this.onAbort, { once: true });
  }

  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  /** Aborts when the call is given up: waits inside the job end with it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  giveUp(error: unknown): void {
    if (this.started || this.abandoned) return;
    this.cleanUp();
    this.controller.abort(error);
    this.rejectSettled(error);
  }

  /** The job is about to send: false when the call was given up meanwhile. */
  start(): boolean {
    if (this.abandoned) return false;
    this.started = true;
    this.cleanUp();
    return true;
  }

  private cleanUp(): void {
    clearTimeout(this.timer);
    this.callSignal.removeEventListener('abort', this.onAbort);
  }
}
