/**
 * The circuit breaker over the real terminal (undici) against real loopback upstreams:
 * opening after N consecutive failures, failing fast (nothing sent) during the
 * cool-down, one half-open trial, closing on success. The clock is injected.
 */
import net from 'node:net';
import { errors } from '../../errors';
import { composeExchange, type Exchange, type ExchangeRequest, type ExchangeStage } from '../../gateway/upstream/exchange';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { createCircuitBreakerStage, type CircuitBreakerStage } from '../../gateway/upstream/circuit-breaker';
import { createCacheStage } from '../../gateway/upstream/cache';
import { DEFAULT_UPSTREAM_POLICY, type CircuitPolicy, type ConnectorRuntime } from '../../gateway/core';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { rejected } from '../helpers/errors';

let upstream: Upstream;
let other: Upstream;
let healthy = false;
let clock = Date.parse('2030-01-01T00:00:00Z');
const now = () => clock;

beforeAll(async () => {
  const route = (_req: unknown, res: import('node:http').ServerResponse) => {
    if (healthy) res.writeHead(200, { 'cache-control': 'max-age=3600' }).end('ok');
    else res.writeHead(503).end('down');
  };
  upstream = await startUpstream({ 'GET /thing': route, 'GET /uncached': route, 'GET /slow': (_req, res) => void setTimeout(() => route(_req, res), 150) });
  other = await startUpstream({ 'GET /thing': (_req, res) => void res.writeHead(200).end('fine') });
});
afterAll(async () => {
  await upstream.close();
  await other.close();
  await closeAgents();
});
beforeEach(() => {
  upstream.seen.length = 0;
  healthy = false;
  clock = Date.parse('2030-01-01T00:00:00Z');
});

const SETTINGS: CircuitPolicy = { failures: 3, coolDownMs: 10_000 };

function connector(baseUrl: string, circuitBreaker: CircuitPolicy = SETTINGS): ConnectorRuntime {
  return {
    id: 'gh',
    baseUrl,
    allowedHosts: [new URL(baseUrl).host],
    timeouts: { connectMs: 1_000, headersMs: 5_000, bodyMs: 5_000 },
    maxResponseBytes: 1_048_576,
    policy: { ...DEFAULT_UPSTREAM_POLICY, circuitBreaker },
  };
}

function request(baseUrl: string, path = '/thing', tenantId = 't1', signal = new AbortController().signal): ExchangeRequest {
  return {
    method: 'GET',
    url: baseUrl + path,
    headers: {},
    signal,
    connector: connector(baseUrl),
    scope: { connectorId: 'gh', tenantId, connectionId: `conn-${tenantId}`, tool: 'tool', operation: `GET ${path}` },
  };
}

function build(stages: ExchangeStage[] = []): { send: Exchange; breaker: CircuitBreakerStage } {
  const breaker = createCircuitBreakerStage({ now });
  return { send: composeExchange([...stages, breaker], undiciExchange), breaker };
}

describe('circuit breaker', () => {
  it('opens after N consecutive 5xx and then fails fast, naming the host and when it tries again, without sending', async () => {
    const { send, breaker } = build();
    const host = new URL(upstream.url).host;
    for (let i = 0; i < 3; i++) expect((await send(request(upstream.url))).status).toBe(503);
    expect(breaker.state(host)).toEqual({ state: 'open', failures: 3, openedAt: clock, retryAt: clock + 10_000 });

    clock += 4_000;
    const error = await rejected(send(request(upstream.url)));
    expect(error.code).toBe('HUB_ERR_UPSTREAM_CIRCUIT_OPEN');
    expect(error.httpStatus).toBe(503);
    expect(error.message).toContain(host);
    expect(error.message).toContain('2030-01-01T00:00:00.000Z'); // since
    expect(error.message).toContain('after 3 consecutive failures');
    expect(error.message).toContain('at 2030-01-01T00:00:10.000Z (in 6 s)'); // when it tries again
    expect(error.details).toMatchObject({ host, failures: 3, retryAfterSeconds: 6 });
    // Every tenant: a host that is down is down for all.
    expect((await rejected(send(request(upstream.url, '/thing', 't2')))).code).toBe('HUB_ERR_UPSTREAM_CIRCUIT_OPEN');
    expect(upstream.seen).toHaveLength(3);
  });

  it('lets one trial through after the cool-down: success closes the circuit', async () => {
    const { send, breaker } = build();
    const host = new URL(upstream.url).host;
    for (let i = 0; i < 3; i++) await send(request(upstream.url));
    clock += 10_000;
    healthy = true;
    const trial = await send(request(upstream.url));
    expect(trial.status).toBe(200);
    expect(breaker.state(host)).toEqual({ state: 'closed', failures: 0 });
    expect((await send(request(upstream.url))).status).toBe(200);
    expect(upstream.seen).toHaveLength(5);
  });

  it('a failed trial opens it again for a new cool-down', async () => {
    const { send, breaker } = build();
    const host = new URL(upstream.url).host;
    for (let i = 0; i < 3; i++) await send(request(upstream.url));
    clock += 10_000;
    expect((await send(request(upstream.url))).status).toBe(503);
    expect(breaker.state(host)).toMatchObject({ state: 'open', failures: 4, openedAt: clock, retryAt: clock + 10_000 });
    clock += 9_999;
    expect((await rejected(send(request(upstream.url)))).message).toContain('after 4 consecutive failures');
    expect(upstream.seen).toHaveLength(4);
  });

  it('while the trial is in flight, other calls still fail fast', async () => {
    const { send, breaker } = build();
    const host = new URL(upstream.url).host;
    for (let i = 0; i < 3; i++) await send(request(upstream.url));
    clock += 10_000;
    healthy = true;
    const trial = send(request(upstream.url, '/slow'));
    expect(breaker.state(host).state).toBe('half-open');
    const meanwhile = await rejected(send(request(upstream.url)));
    expect(meanwhile.code).toBe('HUB_ERR_UPSTREAM_CIRCUIT_OPEN');
    expect(meanwhile.message).toContain('trial call now in flight');
    expect((await trial).status).toBe(200);
    expect(breaker.state(host).state).toBe('closed');
  });

  it('counts network errors, and is kept per host', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const dead = `http://127.0.0.1:${closedPort}`;
    const { send, breaker } = build();
    for (let i = 0; i < 3; i++) expect(((await rejected(send(request(dead)))) as { code?: string }).code).toBe('ECONNREFUSED');
    expect(breaker.state(`127.0.0.1:${closedPort}`).state).toBe('open');
    expect((await rejected(send(request(dead)))).code).toBe('HUB_ERR_UPSTREAM_CIRCUIT_OPEN');
    // Another host is not affected.
    expect((await send(request(other.url))).status).toBe(200);
    expect(breaker.state(new URL(other.url).host)).toEqual({ state: 'closed', failures: 0 });
  });

  it('counts consecutive failures only: a success in between starts again', async () => {
    const { send, breaker } = build();
    const host = new URL(upstream.url).host;
    await send(request(upstream.url));
    await send(request(upstream.url));
    healthy = true;
    await send(request(upstream.url));
    healthy = false;
    await send(request(upstream.url));
    await send(request(upstream.url));
    expect(breaker.state(host)).toEqual({ state: 'closed', failures: 2 });
  });

  it("does not count the hub's own errors nor calls the caller gave up on", async () => {
    const limiter: ExchangeStage = () => async () => {
      throw errors.QUOTA_EXCEEDED(['over quota']);
    };
    const { send, breaker } = build([]);
    const limitedBreaker = createCircuitBreakerStage({ now });
    const limited = composeExchange([limitedBreaker], limiter(undiciExchange));
    for (let i = 0; i < 5; i++) expect((await rejected(limited(request(upstream.url)))).code).toBe('HUB_ERR_QUOTA_EXCEEDED');
    expect(limitedBreaker.state(new URL(upstream.url).host)).toEqual({ state: 'closed', failures: 0 });

    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const call = send(request(upstream.url, '/slow', 't1', controller.signal));
      controller.abort();
      await rejected(call);
    }
    expect(breaker.state(new URL(upstream.url).host)).toEqual({ state: 'closed', failures: 0 });
  });

  it('behind the cache: a cached answer is still served while the circuit is open', async () => {
    const cache = createCacheStage({ now });
    const { send, breaker } = build([cache.stage]);
    try {
      healthy = true;
      expect((await send(request(upstream.url))).cache).toBe('miss');
      healthy = false;
      for (let i = 0; i < 3; i++) expect((await send(request(upstream.url, '/uncached'))).cache).toBe('miss');
      expect(breaker.state(new URL(upstream.url).host).state).toBe('open');
      const cached = await send(request(upstream.url));
      expect([cached.status, cached.cache, cached.body.toString()]).toEqual([200, 'hit', 'ok']);
      expect((await rejected(send(request(upstream.url, '/uncached')))).code).toBe('HUB_ERR_UPSTREAM_CIRCUIT_OPEN');
    } finally {
      await cache.close();
    }
  });
});
