/**
 * One connector's rate limiting, for one version of its `rateLimit` section: a call
 * waits out any hold the upstream asked for, takes its slot in every pace it keeps (the
 * file's per-second rates and the rate learnt from refusals), passes the file's
 * bottleneck limiters, and is sent; its answer then teaches the holds and paces.
 *
 * A call never hangs: one that would wait longer than `rateLimit.maxWaitMs` (for a hold,
 * or behind the calls queued ahead of it) fails at once with HUB_ERR_RATE_LIMITED saying
 * when to try again; one that has waited that long fails then; a cancelled call stops
 * waiting at once. Nothing reaches the upstream in either case.
 */
import type Bottleneck from 'bottleneck';
import { errors, type HubError } from '../../../errors';
import { DEFAULT_UPSTREAM_POLICY, type RateLimitPolicy } from '../../core';
import { abortReason, sleep } from '../abortable-sleep';
import type { Exchange, ExchangeRequest, ExchangeResponse } from '../exchange';
import type { Paced } from './configured-pace';
import type { LimiterEnv } from './environment';
import { Holds, type Hold } from './holds';
import { limitKey, methodKey, resourceKey } from './keys';
import { LearnedPaces } from './learned-pace';
import { rateLimitDialect, type RateLimitDialect } from './dialects';
import { header, readResponseLimits, waitFromLimits, type LimitInfo } from './limit-headers';
import { SendWindows, type Blocked } from './send-window';
import { ConnectorLimiters, type ScheduledLimiter } from './limiters';
import { reserveAll } from './pace';
import { limiterClosed, limiterFailure, rateLimited, storeFailed } from './refusals';
import { SKIPPED, Turn } from './turn';
import { rateWords, seconds } from './words';

/**
 * A call whose turn comes within maxWaitMs may still need this long for the limiter's
 * own bookkeeping (a Redis round trip): the deadline timer allows it, so `maxWaitMs: 0`
 * means "only when it can go now", not "never".
 */
const BOOKKEEPING_MS = 100;

export class ConnectorLimits {
  private readonly limiters: ConnectorLimiters;
  private readonly dialect: RateLimitDialect;
  /** The budget (GitHub's `x-ratelimit-resource`: core, search, graphql...) each operation was last seen spending. */
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
    readonly holds: Holds = new Holds(),
    /** Paces learnt from the upstream's refusals (learned-pace.ts); kept, like the holds, across a reload. */
    readonly paces: LearnedPaces = new LearnedPaces(),
    /** The calls let out before the upstream's limit is known (send-window.ts); kept across a reload too. */
    readonly windows: SendWindows = new SendWindows(),
  ) {
    this.dialect = rateLimitDialect(policy.headers);
    if (env.clustered) env.storeListeners.add(this.onStoreError);
    this.limiters = new ConnectorLimiters(env, connectorId, policy, (limiter) => this.listen(limiter));
  }

  async run(request: ExchangeRequest, next: Exchange): Promise<ExchangeResponse> {
    if (request.signal.aborted) throw abortReason(request.signal);
    const key = limitKey(request.scope);
    const operation = request.scope.operation;
    const holdKeys = this.holdKeys(key, operation);
    const deadline = Date.now() + this.policy.maxWaitMs;
    const { connectionPace, operationPaces, connectorPace } = this.limiters;
    // Looked up when the call is about to leave, not now: a pace swept while the call waited is not shared by two.
    const paces = () => [connectionPace?.for(key), operationPaces.get(operation)?.for(key), connectorPace?.for('')].filter((p): p is Paced => p !== undefined);
    const limiters = this.limiters.for(key, operation);
    // An upstream whose headers are not read cannot say how many calls it takes: no window.
    const windowed = this.dialect.readsHeaders;
    if (windowed) {
      const paced = this.pacesFor(holdKeys, paces, Date.now()).length > 0;
      await this.windows.enter(key, paced, deadline, request.signal, (blocked) => this.windowRefusal(request, blocked));
    }
    let response: ExchangeResponse;
    try {
      if (limiters.length === 0) {
        await this.depart(request, holdKeys, paces, deadline, request.signal);
        response = await next(request);
      } else {
        // Held calls wait before they queue; their slots in the paces are taken once the limiters let them through.
        await this.waitForHold(request, holdKeys, deadline);
        response = await this.schedule(request, next, limiters, holdKeys, paces, deadline);
      }
    } catch (error) {
      if (windowed) this.windows.left(key);
      throw error;
    }
    const info = this.learn(response, key, operation);
    if (windowed) {
      const { limited, remaining, resetAtMs } = info ?? { limited: false };
      // A count of one budget of several (GitHub's search, not core) is that budget's hold's business, not the connection's window.
      const perResource = this.dialect.resourceHeader !== undefined && header(response.headers, this.dialect.resourceHeader) !== undefined;
      const counted = remaining !== undefined && resetAtMs !== undefined && !perResource;
      this.windows.left(key, { accepted: !limited && response.status < 500, refused: limited, ...(counted ? { remaining, resetAt: resetAtMs } : {}) });
    }
    return response;
  }

  /** A call the send window kept back past its deadline: the upstream's window is used up, or the calls ahead are still out. */
  private windowRefusal(request: ExchangeRequest, blocked: Blocked): HubError {
    const maxWait = `rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)})`;
    if (blocked === 'answer')
      return this.refused(request, 1000, `the calls of this connection ahead of it were still waiting for the upstream's answers after ${maxWait}`);
    return this.refused(
      request,
      blocked.until - Date.now(),
      `the upstream said this connection has no requests left until its window resets, longer than this connector waits (${maxWait})`,
    );
  }

  /** A hold the upstream asked for (Retry-After, a used-up window): waited out, or refused when it ends past the deadline. */
  private async waitForHold(request: ExchangeRequest, holdKeys: string[], deadline: number): Promise<void> {
    const now = Date.now();
    const hold = this.holds.heldUntil(holdKeys, now);
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
      const hold = this.holds.heldUntil(holdKeys, now);
      if (hold !== undefined && hold.until > deadline) throw this.holdRefusal(request, hold, now);
      const paces = this.pacesFor(holdKeys, configured, now);
      if (paces.length === 0) {
        // Released with jitter of their own: the calls a hold kept back do not all go in the same millisecond.
        if (hold !== undefined) await sleep(this.holdWait(request, hold, now, deadline), signal);
        return;
      }
      // Paced: slots after the hold, evenly spaced. Inside a limiter's job the deadline may
      // just have passed (its bookkeeping); within a millisecond counts as now.
      const wait = reserveAll(
        paces.map((p) => p.pace),
        now,
        Math.max(0, deadline - now) + 1,
        hold?.until ?? now,
      );
      if (wait === undefined) throw this.paceRefusal(request, paces, now);
      // Less than a millisecond is not worth a timer (none waits that little, and Date.now() counts whole ones): the slot stays reserved.
      if (wait < 1) return;
      const slotAt = now + wait;
      await sleep(wait, signal);
      // A refusal while it waited may have put a hold beyond its slot: it takes a new one after it.
      // (The hold its slot was placed after is no reason: a timer may fire a millisecond early.)
      const later = this.holds.heldUntil(holdKeys, Date.now());
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
      return this.refused(
        request,
        backlog,
        `the upstream refused this connection's calls when they came faster than about ${rateWords(slowest.pace.ratePerSecond)}; the calls ahead of it need about ${seconds(backlog)} at that pace, longer than ${maxWait} allows`,
      );
    }
    return this.refused(
      request,
      backlog + slowest.pace.intervalMs,
      `the calls queued ahead of it need about ${seconds(backlog)} under this connector's limit of ${slowest.describe}, longer than ${maxWait} allows`,
    );
  }

  /** The call through every limiter in turn, bounded by the deadline and the call's signal. */
  private async schedule(
    request: ExchangeRequest,
    next: Exchange,
    limiters: ScheduledLimiter[],
    holdKeys: string[],
    paces: () => Paced[],
    deadline: number,
  ): Promise<ExchangeResponse> {
    const behind = ConnectorLimiters.waitBehind(limiters);
    // Nothing queued ahead is never a reason (with maxWaitMs 0 the clock may have moved a millisecond since the call came).
    if (behind.ms > 0 && Date.now() + behind.ms > deadline) {
      throw this.refused(
        request,
        behind.retryMs,
        `the calls queued ahead of it need about ${seconds(behind.ms)} under this connector's limit of ${behind.describe}, longer than rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)}) allows`,
      );
    }
    const now = Date.now();
    // A pace already queued past the deadline: refused now, before it spends a place or a token in the limiters.
    const queued = this.pacesFor(holdKeys, paces, now);
    if (queued.some((p) => p.pace.nextFreeAt > Math.max(now, deadline) + 1)) throw this.paceRefusal(request, queued, now);
    const down = this.env.storeDown;
    if (down !== undefined) throw storeFailed(request.scope.tool, down);
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
    const chained = limiters.reduceRight<() => Promise<ExchangeResponse | typeof SKIPPED>>(
      (inner, { limiter }) =>
        () =>
          limiter.schedule(inner),
      job,
    );
    try {
      // SKIPPED is only ever returned after the turn was given up, which settles the race first.
      return (await Promise.race([chained(), turn.settled])) as ExchangeResponse;
    } catch (error) {
      this.waiting.delete(waiter);
      if (turn.started || turn.abandoned) throw error;
      const failure = limiterFailure(this.env, request.scope.tool, error);
      turn.giveUp(failure);
      throw failure;
    }
  }

  /** After each response: what the upstream says about its window becomes a hold, and a refusal teaches a pace. */
  private learn(response: ExchangeResponse, key: string, operation: string): LimitInfo | undefined {
    const { dialect } = this;
    if (!dialect.readsHeaders) return undefined;
    const now = Date.now();
    const info = readResponseLimits(response, dialect.name, now);
    const resource = dialect.resourceHeader !== undefined ? header(response.headers, dialect.resourceHeader)?.toLowerCase() : undefined;
    if (resource !== undefined) this.resourceOf.set(operation, resource);
    // What the upstream accepts, counted for the pace a refusal will learn (5xx answers say nothing
    // of the rate), where a refusal would learn it: per method for Slack, per connection otherwise.
    if (!info.limited && response.status < 500) this.paces.accepted(dialect.perMethod === true ? methodKey(key, operation) : key, now);
    let hold: Hold | undefined;
    if (info.limited && info.retryAfterMs !== undefined && info.retryAfterMs > 0) {
      hold = {
        until: now + info.retryAfterMs,
        why: `the upstream refused a call of this connection with HTTP ${response.status} and asked to wait ${seconds(info.retryAfterMs)}`,
      };
    } else if (info.remaining === 0 && info.resetAtMs !== undefined && info.resetAtMs > now) {
      const window = resource !== undefined ? `its "${resource}" window` : 'its window';
      hold = { until: info.resetAtMs, why: `the upstream said this connection has no requests left until ${window} resets` };
    }
    if (hold === undefined) return info;
    // Slack's limits are per method; GitHub's windows per resource (search's 30 a minute is not core's 5000 an hour),
    // its secondary limits (a Retry-After) for the whole account.
    let holdKey = key;
    if (dialect.perMethod === true && info.limited) holdKey = methodKey(key, operation);
    else if (resource !== undefined && info.retryAfterMs === undefined) holdKey = resourceKey(key, resource);
    this.holds.set(holdKey, hold);
    // A refusal that names its wait (a Retry-After, or a used-up window's reset) says how fast was too fast.
    const refusalWait = info.limited ? waitFromLimits(info, now) : undefined;
    if (refusalWait !== undefined && refusalWait > 0) this.paces.refused(holdKey, now, refusalWait);
    // Other gateway processes hear of it on the limiter's channel (local limiters hear themselves).
    this.limiters
      .channel(key)
      ?.publish(JSON.stringify({ hold: holdKey, ...hold, ...(resource !== undefined ? { operation, resource } : {}) }))
      .catch(this.env.onError);
    return info;
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
    if (this.dialect.perMethod === true) return [key, methodKey(key, operation)];
    const resource = this.resourceOf.get(operation);
    return resource === undefined ? [key] : [key, resourceKey(key, resource)];
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
        if (typeof hold === 'string' && typeof until === 'number' && Number.isFinite(until) && typeof why === 'string') this.holds.set(hold, { until, why });
      } catch {
        // Not one of ours.
      }
    });
  }

  /** Redis failed: the calls waiting on it would only find out at their deadline. */
  private readonly onStoreError = (error: unknown): void => {
    this.lastError = { at: Date.now(), error };
    for (const { turn, tool } of this.waiting) turn.giveUp(storeFailed(tool, error));
  };

  /** The deadline passed while the call was still waiting for the limiter. */
  private late(request: ExchangeRequest, limiters: ScheduledLimiter[], queuedAt: number): HubError {
    if (!this.env.storeReady) return errors.RATE_STORE([request.scope.tool, `did not answer within rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)})`]);
    if (this.lastError !== undefined && this.lastError.at >= queuedAt) return storeFailed(request.scope.tool, this.lastError.error);
    const behind = ConnectorLimiters.waitBehind(limiters);
    return this.refused(
      request,
      behind.retryMs,
      `it waited rateLimit.maxWaitMs (${seconds(this.policy.maxWaitMs)}) for this connector's limit of ${behind.describe}`,
    );
  }

  private refused(request: ExchangeRequest, waitMs: number, reason: string): HubError {
    return rateLimited(request.scope.tool, this.connectorId, waitMs, reason);
  }

  /** Replaced by a reload: calls already waiting go on, then the limiters go. */
  retire(): void {
    this.env.storeListeners.delete(this.onStoreError);
    this.limiters.retire();
  }

  /** Calls still waiting fail; `storeUp` false (Redis gone): nothing waits on the limiters, which would wait on Redis. */
  async close(storeUp: boolean): Promise<void> {
    this.env.storeListeners.delete(this.onStoreError);
    for (const { turn } of this.waiting) turn.giveUp(limiterClosed());
    this.waiting.clear();
    await this.limiters.close(storeUp);
  }
}
