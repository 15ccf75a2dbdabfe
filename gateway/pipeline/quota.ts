/**
 * Front-door quotas (DESIGN.md stage 4): calls per minute for a tenant (all its agents
 * together) and for one agent key, counted in fixed one-minute windows. In one process
 * the counts live in memory; with LUNAR_REDIS_URL every gateway node counts in Redis
 * (INCR + PEXPIRE on a key per window, over the hub's one connection from gateway/state),
 * so the quota holds across nodes. A call over a
 * quota is an `isError` result saying which quota and when the next call is allowed;
 * it never reaches the upstream.
 */
import type Redis from 'ioredis';
import { errors, tryAgainIn } from '../../errors';
import type { Principal } from '../../auth';
import type { Stage } from '../core';

const WINDOW_MS = 60_000;

export interface QuotaCounter {
  /** Counts one call against `key` in the current window; the count so far and when the window ends. */
  hit(key: string, nowMs: number): Promise<{ count: number; resetInMs: number }>;
  close(): Promise<void>;
}

export function memoryCounter(): QuotaCounter {
  const windows = new Map<string, { window: number; count: number }>();
  return {
    async hit(key, nowMs) {
      const window = Math.floor(nowMs / WINDOW_MS);
      const current = windows.get(key);
      const entry = current && current.window === window ? current : { window, count: 0 };
      entry.count += 1;
      windows.set(key, entry);
      // Old windows are dropped as they are met again; sweep now and then so idle keys go too.
      if (windows.size > 10_000) for (const [k, v] of windows) if (v.window < window) windows.delete(k);
      return { count: entry.count, resetInMs: (window + 1) * WINDOW_MS - nowMs };
    },
    async close() {
      windows.clear();
    },
  };
}

/** Counts in Redis through `redis`, the hub's shared connection (gateway/state): borrowed, so `close()` leaves it open. */
export function redisCounter(redis: Redis, prefix = 'lunar-hub:quota'): QuotaCounter {
  return {
    async hit(key, nowMs) {
      const window = Math.floor(nowMs / WINDOW_MS);
      const redisKey = `${prefix}:${key}:${window}`;
      let failure: unknown;
      let count: unknown;
      try {
        const replies = await redis
          .multi()
          .incr(redisKey)
          .pexpire(redisKey, WINDOW_MS * 2)
          .exec();
        [failure, count] = replies?.[0] ?? [new Error('the transaction was aborted')];
      } catch (error) {
        failure = error;
      }
      // A quota that cannot be counted is not waved through: the call is refused, saying why.
      if (failure || typeof count !== 'number')
        throw errors.STORE_UNAVAILABLE(['quota counter (Redis)', failure instanceof Error ? failure.message : 'no count returned'], { cause: failure });
      return { count, resetInMs: (window + 1) * WINDOW_MS - nowMs };
    },
    async close() {},
  };
}

/** The quota stage: the tenant's, then the key's; `now` for tests. */
export function quotaStage(counter: QuotaCounter, now: () => number = Date.now): Stage {
  return (next) => async (ctx) => {
    const principal = ctx.principal;
    if (principal?.quota) {
      const { tenantPerMinute, agentPerMinute } = principal.quota;
      if (tenantPerMinute != null) await check(counter, `tenant:${principal.tenantId}`, tenantPerMinute, now(), () => `Tenant "${principal.tenantName}"`);
      if (agentPerMinute != null) await check(counter, `agent:${principal.agentId}`, agentPerMinute, now(), () => `Agent ${agentLabel(principal)}`);
    }
    return next(ctx);
  };
}

async function check(counter: QuotaCounter, key: string, limit: number, nowMs: number, who: () => string): Promise<void> {
  const { count, resetInMs } = await counter.hit(key, nowMs);
  if (count <= limit) return;
  const { seconds, words } = tryAgainIn(resetInMs, nowMs);
  throw errors.QUOTA_EXCEEDED([`${who()} used its ${limit} calls per minute. Nothing was sent upstream; ${words}.`], {
    details: { retryAfterSeconds: seconds },
  });
}

function agentLabel(principal: Principal): string {
  return `${principal.agentId} of tenant "${principal.tenantName}"`;
}
