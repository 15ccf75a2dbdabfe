import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { rejected } from '../../test/helpers/errors';
import type { Principal } from '../../auth';
import type { CallContext } from '../core';
import { connectTestRedis, removeKeysAndQuit, TEST_REDIS_URL } from '../../test/helpers/redis';
import { openSharedState } from '../state';
import { memoryCounter, quotaStage, redisCounter, type QuotaCounter } from './quota';

const REDIS_URL = TEST_REDIS_URL;

function principal(quota: Principal['quota']): Principal {
  return { tenantId: 't1', tenantName: 'acme', userId: null, agentId: 'key-1', via: 'key', toolsets: [], readOnly: false, quota };
}

function context(p: Principal): CallContext {
  return {
    callId: 'c',
    toolName: 'demo_tool',
    args: {},
    signal: new AbortController().signal,
    snapshot: undefined as never,
    progress: () => undefined,
    log: pino({ enabled: false }),
    principal: p,
    facts: {},
  };
}

const ok = async () => ({ content: [] });

describe('quotaStage', () => {
  it("counts the tenant's and the key's calls per minute and says when the next call is allowed", async () => {
    let now = Date.UTC(2026, 10, 26, 10, 0, 15); // 45 s before the window ends
    const stage = quotaStage(memoryCounter(), () => now)(ok);
    const keyed = context(principal({ tenantPerMinute: 5, agentPerMinute: 2 }));
    await stage(keyed);
    await stage(keyed);
    const over = await rejected(stage(keyed));
    expect(over).toMatchObject({ code: 'HUB_ERR_QUOTA_EXCEEDED', details: { retryAfterSeconds: 45 } });
    expect(over.message).toBe(
      'Agent key-1 of tenant "acme" used its 2 calls per minute. Nothing was sent upstream; try again in 45 seconds (after 2026-11-26T10:01:00Z).',
    );
    // The tenant's quota counts every agent of the tenant (3 calls so far, the refused one included).
    const other = context({ ...principal({ tenantPerMinute: 5 }), agentId: 'key-2' });
    await stage(other);
    await stage(other);
    expect((await rejected(stage(other))).message).toContain('Tenant "acme" used its 5 calls per minute');
    now += 45_000; // the next window
    await expect(stage(keyed)).resolves.toEqual({ content: [] });
  });

  it('lets principals without quotas through uncounted', async () => {
    const counter: QuotaCounter = { hit: jest.fn(), close: async () => undefined };
    await quotaStage(counter)(ok)(context(principal(undefined)));
    await quotaStage(counter)(ok)(context(principal({ tenantPerMinute: null, agentPerMinute: null })));
    expect(counter.hit).not.toHaveBeenCalled();
  });
});

describe('redisCounter', () => {
  const prefix = `lunar-hub-test:quota:${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    expect(await removeKeysAndQuit(await connectTestRedis(), `${prefix}:*`)).toEqual([]);
  });

  it("shares one count between gateway nodes, each on its hub's shared connection, which it leaves open", async () => {
    const nodes = [openSharedState({ redisUrl: REDIS_URL }), openSharedState({ redisUrl: REDIS_URL })];
    const a = redisCounter(nodes[0].redis!, prefix);
    const b = redisCounter(nodes[1].redis!, prefix);
    try {
      const now = Date.UTC(2026, 10, 26, 10, 0, 0);
      const stageA = quotaStage(a, () => now)(ok);
      const stageB = quotaStage(b, () => now)(ok);
      const p = principal({ agentPerMinute: 3 });
      await stageA(context(p));
      await stageB(context(p));
      await stageA(context(p));
      expect((await rejected(stageB(context(p)))).code).toBe('HUB_ERR_QUOTA_EXCEEDED');
    } finally {
      await a.close();
      await b.close();
      await expect(nodes[0].redis!.ping()).resolves.toBe('PONG');
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});
