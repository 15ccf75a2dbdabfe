/**
 * Several gateway processes share one budget through Redis (LUNAR_REDIS_URL): two
 * separate Node processes, each with its own rate-limit stage, fire their calls at one
 * upstream as fast as they are allowed; the upstream sees the connection's limit kept
 * by the two together. Needs the machine's Redis on 127.0.0.1:6379: the test fails,
 * saying so, when it is not running.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type Redis from 'ioredis';
import { type ConnectorRuntime, DEFAULT_UPSTREAM_POLICY } from '../../gateway/core';
import { composeExchange, type ExchangeRequest } from '../../gateway/upstream/exchange';
import { createRateLimitStage, type RateLimitStage } from '../../gateway/upstream/rate-limit';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { connectTestRedis, removeKeysAndQuit, TEST_REDIS_URL } from '../helpers/redis';
import { maxInWindow } from '../helpers/timing';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const REDIS_URL = TEST_REDIS_URL;
/** Every limiter of this run starts with it, so its Redis keys (`b_<prefix>...`) are found and removed afterwards. */
const PREFIX = `lunar-test-${randomUUID().slice(0, 8)}`;
const FIRE = path.join(__dirname, 'fire-calls.js');

let redis: Redis | undefined;

beforeAll(async () => {
  redis = await connectTestRedis();
});

afterAll(async () => {
  await closeAgents();
  expect(await removeKeysAndQuit(redis, `b_${PREFIX}*`)).toEqual([]);
});

interface Fired {
  label: string;
  firedAt: number;
  results: (number | string)[];
}

/** Starts fire-calls.js; resolves `ready` when it has built its stage, `done` with what it printed. */
function gatewayProcess(config: Record<string, unknown>): { ready: Promise<void>; go(): void; done: Promise<Fired> } {
  const child = spawn(process.execPath, [FIRE], {
    env: { ...process.env, LUNAR_REDIS_URL: REDIS_URL, FIRE_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Fired>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`fire-calls.js exited with ${code}: ${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return reject(new Error(`fire-calls.js printed no result: ${stdout} ${stderr}`));
      resolve(JSON.parse(line) as Fired);
    });
  });
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: () => child.stdin.end('go\n'), done };
}

describe('rate limits shared through Redis', () => {
  let upstream: Upstream;
  const arrivals: { at: number; process: string }[] = [];

  beforeAll(async () => {
    upstream = await startUpstream({
      'GET /warmup': (_req, res) => {
        res.writeHead(204).end();
      },
      'GET /items/*': (req, res) => {
        arrivals.push({ at: performance.now(), process: String(req.headers['x-process']) });
        json(res, 200, { ok: true });
      },
    });
  });

  afterAll(async () => {
    await upstream?.close();
  });

  it('two gateway processes keep one connection within its limit together', async () => {
    const LIMIT = 4; // requests per second, for the connection, whichever process sends
    const EACH = 6;
    const common = { url: upstream.url, count: EACH, idPrefix: PREFIX, connectionId: 'shared-connection', rateLimit: { perConnection: { perSecond: LIMIT } } };
    const a = gatewayProcess({ ...common, label: 'A' });
    const b = gatewayProcess({ ...common, label: 'B' });
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [firedA, firedB] = await Promise.all([a.done, b.done]);

    expect(firedA.results).toEqual(Array(EACH).fill(200));
    expect(firedB.results).toEqual(Array(EACH).fill(200));
    // Both fired at once: alone, each could have sent LIMIT + 1 of its calls within a second...
    expect(Math.abs(firedA.firedAt - firedB.firedAt)).toBeLessThan(500);
    const times = arrivals.map((x) => x.at);
    expect(times).toHaveLength(2 * EACH);
    expect(new Set(arrivals.map((x) => x.process))).toEqual(new Set(['A', 'B']));
    // ...but together they stay within LIMIT per second, measured at the upstream,
    expect(maxInWindow(times)).toBeLessThanOrEqual(LIMIT);
    // spaced evenly: 12 calls at 4 per second span at least 11 intervals of 250 ms.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual((2 * EACH - 1) * (1000 / LIMIT));
  });

  it('a pause the upstream asked of one process holds the connection in the other too', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    const seen: string[] = [];
    const github = await startUpstream({
      'GET /user': (req, res) => {
        const node = String(req.headers['x-process']);
        seen.push(node);
        // Only node one is told the window is used up; node two can learn it only from node one.
        json(res, 200, { login: 'octocat' }, { 'x-ratelimit-remaining': node === 'one' ? '0' : '4999', 'x-ratelimit-reset': String(reset) });
      },
    });
    const connector: ConnectorRuntime = {
      id: 'github',
      baseUrl: github.url,
      allowedHosts: [new URL(github.url).host],
      timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 5000 },
      maxResponseBytes: 65536,
      policy: { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, headers: 'github', perConnection: { perSecond: 50 } } },
    };
    const call = (label: string): ExchangeRequest => ({
      method: 'GET',
      url: `${github.url}/user`,
      headers: { 'x-process': label },
      signal: new AbortController().signal,
      connector,
      scope: { connectorId: 'github', connectionId: 'octocat', tool: 'github_get_user', operation: 'GET /user' },
    });
    // Two stages with their own Redis connections: two gateway nodes, as far as Redis can tell.
    const nodes: RateLimitStage[] = [
      createRateLimitStage({ redisUrl: REDIS_URL, idPrefix: PREFIX }),
      createRateLimitStage({ redisUrl: REDIS_URL, idPrefix: PREFIX }),
    ];
    try {
      const [one, two] = nodes.map((node) => composeExchange([node.stage], undiciExchange));
      // Node two meets the connection first (its limiter subscribes to the connection's channel).
      expect((await two(call('two'))).status).toBe(200);
      seen.length = 0;
      // Listening on the limiters' channels as node two does: when the hold is published, it is there.
      const listener = await connectTestRedis();
      const published = new Promise<void>((resolve) => listener.on('pmessage', (_p, _c, message: string) => message.includes('"hold"') && resolve()));
      await listener.psubscribe(`b_${PREFIX}*`);
      try {
        expect((await one(call('one'))).status).toBe(200);
        // Node one learnt "remaining 0 until the reset" and published it; node two holds its calls.
        await published;
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        listener.disconnect();
      }
      let refused: { code?: string; message?: string } | undefined;
      try {
        await two(call('two'));
      } catch (error) {
        refused = error as { code?: string };
      }
      expect(refused?.code).toBe('HUB_ERR_RATE_LIMITED');
      expect(refused?.message).toMatch(/no requests left until its window resets.*Try again in 1[12]\d seconds/);
      // Node two's call never reached GitHub.
      expect(seen).toEqual(['one']);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await github.close();
    }
  });

  it('on a shared connection (the redis option) the limiters keep their budget in Redis and leave the connection open when closed', async () => {
    const shared = await connectTestRedis();
    const upstream = await startUpstream({ 'GET /x': (_req, res) => json(res, 200, { ok: true }) });
    const connector: ConnectorRuntime = {
      id: 'shared',
      baseUrl: upstream.url,
      allowedHosts: [new URL(upstream.url).host],
      timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 5000 },
      maxResponseBytes: 65536,
      policy: { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, perConnection: { perMinute: 100 } } },
    };
    const limiter = createRateLimitStage({ redis: shared, idPrefix: PREFIX });
    try {
      const exchange = composeExchange([limiter.stage], undiciExchange);
      const response = await exchange({
        method: 'GET',
        url: `${upstream.url}/x`,
        headers: {},
        signal: new AbortController().signal,
        connector,
        scope: { connectorId: 'shared', connectionId: 'c1', tool: 'shared_x', operation: 'GET /x' },
      });
      expect(response.status).toBe(200);
      expect((await shared.keys(`b_${PREFIX}:shared:*`)).length).toBeGreaterThan(0);
    } finally {
      await limiter.close();
      await upstream.close();
    }
    expect(shared.status).toBe('ready');
    expect(await shared.ping()).toBe('PONG');
    shared.disconnect();
  });
});
