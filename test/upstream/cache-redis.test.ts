/**
 * The cache on Redis (the machine's, 127.0.0.1:6379): two stage instances stand for
 * two hub nodes sharing one namespace, unique to this run and removed afterwards.
 * Redis down is a failure here, not a skip.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type Redis from 'ioredis';
import { composeExchange, type Exchange, type ExchangeRequest } from '../../gateway/upstream/exchange';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { createCacheStage, type CacheStage } from '../../gateway/upstream/cache';
import { digest, keyedDigest } from '../../gateway/upstream/cache-key';
import { DEFAULT_UPSTREAM_POLICY, type ConnectorRuntime } from '../../gateway/core';
import { openSharedState } from '../../gateway/state';
import { connectTestRedis, keysMatching, removeKeysAndQuit, TEST_REDIS_URL } from '../helpers/redis';
import { startUpstream, type Upstream } from '../helpers/upstream';

const REDIS_URL = TEST_REDIS_URL;
const namespace = `lunar-hub:cache:test-${randomBytes(6).toString('hex')}`;

let upstream: Upstream;
let redis: Redis;
let stages: CacheStage[] = [];

const namespaceKeys = () => keysMatching(redis, `${namespace}*`);

beforeAll(async () => {
  // Fails this suite, saying how to start Redis, when it is down.
  redis = await connectTestRedis();
  let n = 0;
  upstream = await startUpstream({
    // Vary sent twice (an array from undici), and a session cookie that must not be stored.
    'GET /repos/o/r/issues/*': (_req, res) =>
      void res
        .writeHead(200, [
          ['cache-control', 'private, max-age=60'],
          ['vary', 'Accept'],
          ['vary', 'Authorization'],
          ['etag', `"${++n}"`],
          ['set-cookie', 'sid=session-secret-789'],
        ])
        .end(`issue answer ${n}`),
    'PATCH /repos/o/r/issues/*': (_req, res) => void res.writeHead(200).end('{}'),
  });
});

afterEach(async () => {
  await Promise.all(stages.map((s) => s.close()));
  stages = [];
});

afterAll(async () => {
  await upstream?.close();
  await closeAgents();
  expect(await removeKeysAndQuit(redis, `${namespace}*`)).toEqual([]);
});

function connector(): ConnectorRuntime {
  return {
    id: 'gh',
    baseUrl: upstream.url,
    allowedHosts: [new URL(upstream.url).host],
    timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
    maxResponseBytes: 1_048_576,
    policy: DEFAULT_UPSTREAM_POLICY,
  };
}

function request(path: string, method = 'GET', connectionId = 'conn-1'): ExchangeRequest {
  return {
    method,
    url: upstream.url + path,
    headers: { authorization: 'Bearer secret-token-123' },
    signal: new AbortController().signal,
    connector: connector(),
    scope: { connectorId: 'gh', tenantId: 't1', connectionId, tool: 'tool', operation: `${method} ${path}` },
  };
}

/** The hub derives it from the master key, which every node shares. */
const NODES_HASH_KEY = randomBytes(32);

function node(errors: unknown[] = [], hashKey = NODES_HASH_KEY): { send: Exchange; cache: CacheStage } {
  const cache = createCacheStage({ redisUrl: REDIS_URL, namespace, hashKey, onError: (e) => errors.push(e) });
  stages.push(cache);
  return { send: composeExchange([cache.stage], undiciExchange), cache };
}

describe('cache on Redis', () => {
  it('shares entries, invalidations and purges between two nodes', async () => {
    const errors: unknown[] = [];
    const a = node(errors);
    const b = node(errors);
    const before = upstream.seen.length;
    const first = await a.send(request('/repos/o/r/issues/1'));
    const fromB = await b.send(request('/repos/o/r/issues/1'));
    expect([first.cache, fromB.cache]).toEqual(['miss', 'hit']);
    expect(fromB.body.toString()).toBe(first.body.toString());
    expect(upstream.seen.length - before).toBe(1);
    // Stored without the session cookie, and read back with both Vary lines.
    expect(first.headers['set-cookie']).toBeDefined();
    expect(fromB.headers['set-cookie']).toBeUndefined();

    // A mutation through node B is seen by node A.
    await b.send(request('/repos/o/r/issues/1', 'PATCH'));
    const afterPatch = await a.send(request('/repos/o/r/issues/1'));
    expect(afterPatch.cache).toBe('miss');
    expect((await b.send(request('/repos/o/r/issues/1'))).cache).toBe('hit');

    // A purge through A is seen by B.
    await a.cache.purge({ tenantId: 't1' });
    expect((await b.send(request('/repos/o/r/issues/1'))).cache).toBe('miss');
    expect(errors).toEqual([]);
  });

  it('stores every key with a TTL, under its namespace, and never the Authorization value, a key in the query or path, or a cookie', async () => {
    const errors: unknown[] = [];
    const { send } = node(errors);
    await send(request('/repos/o/r/issues/2'));
    // An apiKey-in-query connector puts the key into the URL the cache sees; some APIs put it in the path.
    await send(request('/repos/o/r/issues/2?api_key=secret-token-123'));
    await send(request('/repos/o/r/issues/bot-path-secret-456'));
    expect((await send(request('/repos/o/r/issues/bot-path-secret-456'))).cache).toBe('hit');
    const keys = await namespaceKeys();
    expect(keys.length).toBeGreaterThan(1);
    for (const key of keys) {
      expect(key.startsWith(`${namespace}::`)).toBe(true);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
      const value = await redis.get(key);
      for (const secret of ['secret-token-123', 'bot-path-secret-456', 'session-secret-789', 'Bearer secret']) expect(value).not.toContain(secret);
    }
    expect(errors).toEqual([]);
  });

  it("keeps Vary'd headers as HMACs under the nodes' key: no plain hash of the token to test guesses against, and a node with another key matches nothing", async () => {
    const { send } = node();
    await send(request('/repos/o/r/issues/7'));
    const token = upstream.seen.at(-1)!.headers.authorization!;
    const values = await Promise.all((await namespaceKeys()).map((key) => redis.get(key)));
    const stored = values.join('\n');
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(digest([token]));
    expect(stored).toContain(keyedDigest(NODES_HASH_KEY, token));
    expect((await node().send(request('/repos/o/r/issues/7'))).cache).toBe('hit');
    expect((await node([], randomBytes(32)).send(request('/repos/o/r/issues/7'))).cache).toBe('miss');
  });

  it("works on the hub's shared connection (gateway/state), which closing the stage leaves open", async () => {
    const errors: unknown[] = [];
    const states = [openSharedState({ redisUrl: REDIS_URL }), openSharedState({ redisUrl: REDIS_URL })];
    try {
      const [a, b] = states.map((shared) => createCacheStage({ shared, namespace, hashKey: NODES_HASH_KEY, onError: (e) => errors.push(e) }));
      stages.push(a, b);
      const first = await composeExchange([a.stage], undiciExchange)(request('/repos/o/r/issues/8'));
      const second = await composeExchange([b.stage], undiciExchange)(request('/repos/o/r/issues/8'));
      expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
      await a.close();
      await expect(states[0].redis!.ping()).resolves.toBe('PONG');
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(stages.map((s) => s.close()));
      stages = [];
      await Promise.all(states.map((s) => s.close()));
    }
  });

  it('purge() with nothing named clears the namespace', async () => {
    const { send, cache } = node();
    await send(request('/repos/o/r/issues/3'));
    expect((await namespaceKeys()).length).toBeGreaterThan(0);
    await cache.purge();
    expect(await namespaceKeys()).toEqual([]);
  });

  it('goes on uncached when Redis cannot be reached, telling onError', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const errors: Array<{ code?: string; message?: string }> = [];
    const cache = createCacheStage({
      redisUrl: `redis://:pw-not-shown@127.0.0.1:${closedPort}`,
      namespace,
      redisConnectWaitMs: 200,
      onError: (e) => errors.push(e as { code?: string }),
    });
    stages.push(cache);
    const send = composeExchange([cache.stage], undiciExchange);
    const seen = upstream.seen.length;
    const results = [await send(request('/repos/o/r/issues/4')), await send(request('/repos/o/r/issues/4'))];
    expect(results.map((r) => [r.status, r.cache])).toEqual([
      [200, 'miss'],
      [200, 'miss'],
    ]);
    expect(upstream.seen.length - seen).toBe(2);
    expect(errors.some((e) => e.code === 'HUB_ERR_CACHE_UNAVAILABLE')).toBe(true);
    expect(errors.map((e) => String(e.message)).join('\n')).not.toContain('pw-not-shown');
  });
});
