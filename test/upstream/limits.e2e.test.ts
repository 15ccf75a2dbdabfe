/**
 * Retries and rate limits end to end: the retry stage over the rate-limit stage over
 * undici, against real upstreams on 127.0.0.1 that speak GitHub's, Slack's, Notion's
 * and Jira's rate-limit conventions; the answers mapped to MCP results as the agent
 * sees them. Real timers, short waits (Retry-After of one second).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { OperationModel } from '../../generators';
import { errorResult, mapResponse } from '../../gateway/pipeline/map-result';
import { type ConnectorRuntime, type HttpOperationTool, DEFAULT_UPSTREAM_POLICY, type RateLimitPolicy, type RetryPolicy } from '../../gateway/core';
import { composeExchange, type Exchange, type ExchangeRequest, type ExchangeResponse } from '../../gateway/upstream/exchange';
import { createRateLimitStage, type RateLimitStage } from '../../gateway/upstream/rate-limit';
import { createRetryStage, retryStage } from '../../gateway/upstream/retry';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { maxInWindow, until } from '../helpers/timing';
import { json, startUpstream, type Route, type Upstream } from '../helpers/upstream';
import { rejected } from '../helpers/errors';

// ---------------------------------------------------------------- helpers

interface Arrival {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

interface Recorded extends Upstream {
  arrivals: Arrival[];
  times(path?: string): number[];
}

const upstreams: Upstream[] = [];

/** An upstream whose routes record when each request arrived (performance.now()). */
async function upstreamWith(routes: Record<string, Route>): Promise<Recorded> {
  const arrivals: Arrival[] = [];
  const recorded = Object.fromEntries(
    Object.entries(routes).map(([key, route]): [string, Route] => [
      key,
      (req, res) => {
        arrivals.push({ at: performance.now(), method: req.method, path: new URL(req.url, 'http://x').pathname, headers: req.headers });
        return route(req, res);
      },
    ]),
  );
  const upstream = await startUpstream(recorded);
  upstreams.push(upstream);
  return Object.assign(upstream, { arrivals, times: (path?: string) => arrivals.filter((a) => path === undefined || a.path === path).map((a) => a.at) });
}

/** Answers from a list in turn; the last one repeats. */
function inTurn(...answers: Route[]): Route {
  let i = 0;
  return (req, res) => answers[Math.min(i++, answers.length - 1)](req, res);
}

interface PolicyPatch {
  rateLimit?: Partial<RateLimitPolicy>;
  retry?: Partial<RetryPolicy>;
}

function connectorFor(upstream: Upstream, id: string, patch: PolicyPatch = {}): ConnectorRuntime {
  const d = DEFAULT_UPSTREAM_POLICY;
  return {
    id,
    baseUrl: upstream.url,
    allowedHosts: [new URL(upstream.url).host],
    timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 5000 },
    maxResponseBytes: 1 << 20,
    policy: {
      ...d,
      rateLimit: { ...d.rateLimit, ...patch.rateLimit },
      // Short waits: a test run must stay well under 30 seconds.
      retry: { ...d.retry, baseDelayMs: 20, maxDelayMs: 200, budgetMs: 5000, ...patch.retry },
    },
  };
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  connectionId?: string;
}

function request(connector: ConnectorRuntime, path: string, options: CallOptions = {}): ExchangeRequest {
  const method = options.method ?? 'GET';
  return {
    method,
    url: `${connector.baseUrl}${path}`,
    headers: { accept: 'application/json', ...options.headers },
    ...(method === 'GET' ? {} : { body: '{}' }),
    signal: options.signal ?? new AbortController().signal,
    connector,
    scope: {
      connectorId: connector.id,
      connectionId: options.connectionId ?? 'conn-1',
      tenantId: 't1',
      tool: `${connector.id}_call`,
      operation: `${method} ${path}`,
    },
  };
}

const limiters: RateLimitStage[] = [];

/** retry -> rate limit -> undici, as the hub composes them (exchange.ts). */
function hub(retry = retryStage, terminal: Exchange = undiciExchange): Exchange {
  const limits = createRateLimitStage();
  limiters.push(limits);
  return composeExchange([retry, limits.stage], terminal);
}

/**
 * undici, noting when each request leaves the hub, by path: what the limiter decides,
 * without the lag a loaded machine adds between a departure and its arrival upstream.
 */
function departures(): { terminal: Exchange; times(path: string, connectionId?: string): number[]; answered(): number } {
  const left: { path: string; connectionId?: string; at: number }[] = [];
  let answered = 0;
  return {
    terminal: async (req) => {
      left.push({ path: new URL(req.url).pathname, connectionId: req.scope.connectionId, at: performance.now() });
      try {
        return await undiciExchange(req);
      } finally {
        answered++;
      }
    },
    times: (path, connectionId) => left.filter((d) => d.path === path && (connectionId === undefined || d.connectionId === connectionId)).map((d) => d.at),
    /** Answers the hub has received (and, by the time a poll sees them, read for their limits). */
    answered: () => answered,
  };
}

function registered(connector: ConnectorRuntime, path: string): HttpOperationTool {
  const operation: OperationModel = {
    key: `GET ${path}`,
    method: 'get',
    path,
    specPath: path,
    pointer: '/paths',
    tags: [],
    deprecated: false,
    parameters: [],
    responses: [],
    servers: [],
  };
  const name = `${connector.id}_call`;
  return {
    kind: 'http',
    connectorId: connector.id,
    tool: { name, inputSchema: { type: 'object', properties: {} } },
    binding: { tool: name, operation: operation.key, arguments: [] },
    operation,
  };
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

const ok: Route = (_req, res) => json(res, 200, { ok: true });
/** Timers may fire a millisecond "early" against performance.now(). */
const CLOCK_SLACK_MS = 5;

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

afterAll(async () => {
  await closeAgents();
});

// ---------------------------------------------------------------- retries

describe('retries', () => {
  it('waits for Retry-After on a 429, then retries and returns the answer', async () => {
    const upstream = await upstreamWith({ 'GET /items': inTurn((_q, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '1' }), ok) });
    const connector = connectorFor(upstream, 'demo');
    const response = await hub()(request(connector, '/items'));
    expect(response).toMatchObject({ status: 200, attempts: 2 });
    const [first, second] = upstream.times();
    expect(second - first).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });

  it('sends a POST without an idempotency key exactly once on 503', async () => {
    const upstream = await upstreamWith({ 'POST /charges': (_q, res) => json(res, 503, { message: 'try later' }) });
    const connector = connectorFor(upstream, 'demo', { retry: { idempotencyHeader: 'idempotency-key' } });
    const response = await hub()(request(connector, '/charges', { method: 'POST' }));
    expect(response).toMatchObject({ status: 503, attempts: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(upstream.arrivals).toHaveLength(1);
  });

  it('retries a POST that carries the idempotency header, with the same key', async () => {
    const upstream = await upstreamWith({
      'POST /charges': inTurn(
        (_q, res) => json(res, 503, { message: 'try later' }),
        (_q, res) => json(res, 201, { id: 'ch_1' }),
      ),
    });
    const connector = connectorFor(upstream, 'demo', { retry: { idempotencyHeader: 'idempotency-key' } });
    const response = await hub()(request(connector, '/charges', { method: 'POST', headers: { 'idempotency-key': 'key-42' } }));
    expect(response).toMatchObject({ status: 201, attempts: 2 });
    expect(upstream.arrivals.map((a) => a.headers['idempotency-key'])).toEqual(['key-42', 'key-42']);
  });

  it('retries a GET whose connection was reset, not a POST', async () => {
    const reset: Route = (_q, res) => {
      res.socket!.destroy();
    };
    const upstream = await upstreamWith({ 'GET /items': inTurn(reset, ok), 'POST /items': inTurn(reset, ok) });
    const connector = connectorFor(upstream, 'demo');
    const exchange = hub();
    expect(await exchange(request(connector, '/items'))).toMatchObject({ status: 200, attempts: 2 });

    const error = await rejected(exchange(request(connector, '/items', { method: 'POST' })));
    expect(textOf(errorResult(error, 'demo_call'))).toMatch(/^HUB_ERR_UPSTREAM_NETWORK: /);
    expect(upstream.arrivals.filter((a) => a.method === 'POST')).toHaveLength(1);
  });

  it('retries a GET whose body stalled past bodyMs, not a POST, whose result names the timeout', async () => {
    // Headers and half the body, then nothing: the transfer stalls.
    const stall: Route = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '40' });
      res.write('{"items":[');
    };
    const upstream = await upstreamWith({ 'GET /items': inTurn(stall, ok), 'POST /items': inTurn(stall, ok) });
    const connector = { ...connectorFor(upstream, 'demo'), timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 300 } };
    const exchange = hub();
    const got = await exchange(request(connector, '/items'));
    expect(got).toMatchObject({ status: 200, attempts: 2 });
    expect(JSON.parse(got.body.toString('utf8'))).toEqual({ ok: true });

    const error = await rejected(exchange(request(connector, '/items', { method: 'POST' })));
    expect(textOf(errorResult(error, 'demo_call'))).toMatch(
      /^HUB_ERR_UPSTREAM_TIMEOUT: demo_call: the upstream did not answer in time \(reading the response body\)/,
    );
    expect(upstream.arrivals.filter((a) => a.method === 'POST')).toHaveLength(1);
  });

  it('retries 5xx with growing backoff, then returns the last 503 with the attempts counted', async () => {
    const upstream = await upstreamWith({ 'GET /items': (_q, res) => json(res, 503, { message: 'overloaded' }) });
    const connector = connectorFor(upstream, 'demo', { retry: { attempts: 3, baseDelayMs: 100 } });
    // random() = 1: the top of each jitter range, so the waits are 100 ms then 200 ms.
    const response = await hub(createRetryStage({ random: () => 1 }))(request(connector, '/items'));
    expect(response).toMatchObject({ status: 503, attempts: 3 });
    const [a, b, c] = upstream.times();
    expect(upstream.arrivals).toHaveLength(3);
    expect(b - a).toBeGreaterThanOrEqual(100 - CLOCK_SLACK_MS);
    expect(c - b).toBeGreaterThanOrEqual(200 - CLOCK_SLACK_MS);
    expect(textOf(mapResponse(registered(connector, '/items'), response, connector))).toBe('HTTP 503 Service Unavailable: overloaded');
  });

  it('past the budget returns the 429, whose result says when to retry; the next call fails fast saying the same', async () => {
    const upstream = await upstreamWith({ 'GET /items': (_q, res) => json(res, 429, { message: 'rate limit exceeded' }, { 'retry-after': '5' }) });
    const connector = connectorFor(upstream, 'demo', { retry: { budgetMs: 2000 }, rateLimit: { maxWaitMs: 2000 } });
    const exchange = hub();
    const started = performance.now();
    const response = await exchange(request(connector, '/items'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response).toMatchObject({ status: 429, attempts: 1 });
    const result = mapResponse(registered(connector, '/items'), response, connector);
    expect(textOf(result)).toBe('HTTP 429 Too Many Requests: rate limit exceeded\nRetry-After: 5 seconds');
    expect(result._meta).toMatchObject({ 'lunar-hub/retry-after': 5 });

    // The upstream asked for 5 s: the connection is held, and the next call is not sent.
    const error = await rejected(exchange(request(connector, '/items')));
    expect(error.code).toBe('HUB_ERR_RATE_LIMITED');
    const refused = errorResult(error, 'demo_call');
    expect(textOf(refused)).toMatch(
      /^HUB_ERR_RATE_LIMITED: demo_call was not sent: the upstream refused a call of this connection with HTTP 429 and asked to wait 5 s, longer than this connector waits \(rateLimit.maxWaitMs 2 s\)\. Try again in [45] seconds \(after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\.$/,
    );
    expect(refused._meta?.['lunar-hub/retry-after']).toBeGreaterThanOrEqual(4);
    expect(upstream.arrivals).toHaveLength(1);

    // Another connection of the same connector is not held.
    expect(await exchange(request(connector, '/items', { connectionId: 'conn-2' }))).toMatchObject({ status: 429 });
  });
});

// ---------------------------------------------------------------- cancellation

describe('a cancelled call', () => {
  it('stops waiting for a Retry-After at once', async () => {
    const upstream = await upstreamWith({ 'GET /items': inTurn((_q, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '3' }), ok) });
    const connector = connectorFor(upstream, 'demo', { retry: { budgetMs: 10_000 }, rateLimit: { maxWaitMs: 10_000 } });
    const controller = new AbortController();
    const started = performance.now();
    const pending = hub()(request(connector, '/items', { signal: controller.signal }));
    await until(() => upstream.arrivals.length === 1);
    setTimeout(() => controller.abort(), 100);
    const error = await rejected(pending);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.name).toBe('AbortError');
    expect(errorResult(error, 'demo_call')._meta).toMatchObject({ 'lunar-hub/code': 'HUB_ERR_CALL_CANCELLED' });
    expect(upstream.arrivals).toHaveLength(1);
  });

  it('stops waiting for the limiter at once, and is never sent', async () => {
    const upstream = await upstreamWith({ 'GET /items': ok });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { perConnection: { perSecond: 1 } } });
    const exchange = hub();
    await exchange(request(connector, '/items'));
    const controller = new AbortController();
    const started = performance.now();
    const pending = exchange(request(connector, '/items', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const error = await rejected(pending);
    expect(error.name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(500);
    // Past the time its turn would have come: still only the first call reached the upstream.
    await new Promise((r) => setTimeout(r, 1200));
    expect(upstream.arrivals).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- limits

describe('rate limits', () => {
  it('Notion (~3 requests per second): a burst of 10 calls stays within 3 per second at the upstream, per connection', async () => {
    const NOTION_RATE = 3;
    const seen: number[] = [];
    const upstream = await upstreamWith({
      // Notion answers 429 rate_limited with Retry-After when a connection goes faster.
      'POST /v1/databases/*/query': (req, res) => {
        if (req.headers['notion-connection'] === 'a') seen.push(performance.now());
        if (maxInWindow(seen) > NOTION_RATE)
          json(
            res,
            429,
            { object: 'error', status: 429, code: 'rate_limited', message: 'You have been rate limited. Please try again in a few minutes.' },
            { 'retry-after': '1' },
          );
        else json(res, 200, { object: 'list', results: [] });
      },
    });
    const connector = connectorFor(upstream, 'notion', { rateLimit: { perConnection: { perSecond: NOTION_RATE } } });
    const exchange = hub();
    const started = performance.now();
    const burst = Array.from({ length: 10 }, () =>
      exchange(request(connector, '/v1/databases/db1/query', { method: 'POST', connectionId: 'a', headers: { 'notion-connection': 'a' } })),
    );
    // Another workspace's calls do not queue behind the first's.
    const other = Array.from({ length: 3 }, () =>
      exchange(request(connector, '/v1/databases/db2/query', { method: 'POST', connectionId: 'b', headers: { 'notion-connection': 'b' } })),
    );
    const otherDone = await Promise.all(other).then(() => performance.now() - started);
    const responses = await Promise.all(burst);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(responses.every((r) => r.attempts === 1)).toBe(true);
    const times = upstream.arrivals.filter((a) => a.headers['notion-connection'] === 'a').map((a) => a.at);
    expect(maxInWindow(times)).toBeLessThanOrEqual(NOTION_RATE);
    // Evenly spaced: 10 calls at 3/s take at least 3 seconds.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3000);
    expect(otherDone).toBeLessThan(1500);
  });

  it('a per-second rate and a concurrency limit together: never more in flight, never closer than the rate allows', async () => {
    let inFlight = 0;
    let most = 0;
    const upstream = await upstreamWith({
      'GET /slow/*': async (_req, res) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 150));
        inFlight--;
        json(res, 200, { ok: true });
      },
    });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { perConnection: { perSecond: 10, concurrency: 2 } } });
    const left = departures();
    const exchange = hub(retryStage, left.terminal);
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => exchange(request(connector, `/slow/${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(most).toBeLessThanOrEqual(2);
    const times = Array.from({ length: 8 }, (_, i) => left.times(`/slow/${i}`)[0]).sort((a, b) => a - b);
    // 10 per second: slots 103 ms apart from the first, a departure never more than a millisecond
    // before its slot (a busy loop only makes it later); without the rate, eight calls two at a
    // time would leave within some 450 ms.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[0]).toBeGreaterThanOrEqual(i * 103 - 1 - CLOCK_SLACK_MS);
  });

  it('maxWaitMs 0 means "only when it can go now": calls that find the limits free are sent, never refused', async () => {
    const upstream = await upstreamWith({ 'GET /items': ok });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { perConnection: { perSecond: 5, concurrency: 2 }, maxWaitMs: 0 } });
    const exchange = hub();
    for (let i = 0; i < 4; i++) {
      expect(await exchange(request(connector, '/items'))).toMatchObject({ status: 200 });
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(upstream.arrivals).toHaveLength(4);
  });

  it('a call that would wait longer than maxWaitMs for the limiter fails fast with a coded error saying when to retry', async () => {
    const upstream = await upstreamWith({ 'GET /items': ok });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { perConnection: { perSecond: 1 }, maxWaitMs: 1500 } });
    const exchange = hub();
    const started = performance.now();
    const refusedAfter: number[] = [];
    const calls = [1, 2, 3, 4].map(() => exchange(request(connector, '/items')));
    for (const call of calls) call.catch(() => refusedAfter.push(performance.now() - started));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    // Refused at once, not after waiting maxWaitMs.
    expect(Math.max(...refusedAfter)).toBeLessThan(200);
    const error = (settled[2] as PromiseRejectedResult).reason as { code: string; details: { retryAfterSeconds: number } };
    expect(error.code).toBe('HUB_ERR_RATE_LIMITED');
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(2);
    expect(textOf(errorResult(error, 'demo_call'))).toMatch(
      /the calls queued ahead of it need about 2\.\d s under this connector's limit of 1 requests per second, longer than rateLimit.maxWaitMs \(1\.5 s\) allows\. Try again in \d seconds/,
    );
    expect(upstream.arrivals).toHaveLength(2);
  });

  it('a call still waiting for a per-minute budget when maxWaitMs passes fails then, saying to try again when the window refills', async () => {
    const upstream = await upstreamWith({ 'GET /items': ok });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { perConnector: { perMinute: 2 }, maxWaitMs: 300 } });
    const exchange = hub();
    const started = performance.now();
    const settled = await Promise.allSettled([1, 2, 3].map((n) => exchange(request(connector, '/items', { connectionId: `c${n}` }))));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(300 - CLOCK_SLACK_MS);
    expect(waited).toBeLessThan(1000);
    const error = (settled[2] as PromiseRejectedResult).reason as Error & { code: string };
    expect(error.code).toBe('HUB_ERR_RATE_LIMITED');
    expect(error.message).toMatch(/it waited rateLimit.maxWaitMs \(0\.3 s\) for this connector's limit of 2 requests per minute\. Try again in 60 seconds/);
    expect(upstream.arrivals).toHaveLength(2);
  });

  it('no limits and no headers to read: the stage is not in the way', async () => {
    const upstream = await upstreamWith({ 'GET /items': ok });
    const connector = connectorFor(upstream, 'demo', { rateLimit: { headers: 'none' } });
    const limits = createRateLimitStage();
    limiters.push(limits);
    const answer = Promise.resolve({ status: 200, headers: {}, body: Buffer.alloc(0), truncated: false } as ExchangeResponse);
    expect(limits.stage(() => answer)(request(connector, '/items'))).toBe(answer);
  });
});

// ---------------------------------------------------------------- conventions

describe('GitHub', () => {
  it('primary limit: when x-ratelimit-remaining reaches 0 the next call waits for x-ratelimit-reset instead of hitting the wall', async () => {
    const LIMIT = 2;
    let remaining = LIMIT;
    let resetAt: number | undefined; // epoch ms, on a whole second as GitHub's epoch seconds are
    const upstream = await upstreamWith({
      'GET /repos/o/hub': (_q, res) => {
        const now = Date.now();
        if (resetAt !== undefined && now >= resetAt) {
          remaining = LIMIT;
          resetAt = undefined;
        }
        resetAt ??= Math.ceil((now + 1200) / 1000) * 1000;
        const headers = { 'x-ratelimit-limit': String(LIMIT), 'x-ratelimit-reset': String(resetAt / 1000), 'x-ratelimit-resource': 'core' };
        if (remaining === 0) {
          json(
            res,
            403,
            { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
            { ...headers, 'x-ratelimit-remaining': '0' },
          );
          return;
        }
        remaining -= 1;
        json(res, 200, { id: 1, name: 'hub' }, { ...headers, 'x-ratelimit-remaining': String(remaining) });
      },
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github' } });
    const exchange = hub();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await exchange(request(connector, '/repos/o/hub', { connectionId: 'octocat' }))).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(upstream.arrivals).toHaveLength(3);
  });

  it('primary limit far away: the next call fails fast, saying when the window resets', async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    const upstream = await upstreamWith({
      'GET /user': (_q, res) => json(res, 200, { login: 'octocat' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }),
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github' } });
    const exchange = hub();
    expect(await exchange(request(connector, '/user', { connectionId: 'octocat' }))).toMatchObject({ status: 200 });
    const error = await rejected(exchange(request(connector, '/user', { connectionId: 'octocat' })));
    expect(error.code).toBe('HUB_ERR_RATE_LIMITED');
    expect(error.message).toMatch(/no requests left until its window resets.*Try again in (59\d|600) seconds/);
    expect(upstream.arrivals).toHaveLength(1);
  });

  it('primary limit 403 with the reset beyond maxWaitMs: returned at once, saying when the window resets', async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    const upstream = await upstreamWith({
      'GET /repos/o/hub': (_q, res) =>
        json(
          res,
          403,
          { message: 'API rate limit exceeded for user ID 1.' },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' },
        ),
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github' } });
    const started = performance.now();
    const response = await hub()(request(connector, '/repos/o/hub', { connectionId: 'octocat' }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response).toMatchObject({ status: 403, attempts: 1 });
    const result = mapResponse(registered(connector, '/repos/o/hub'), response, connector);
    expect(textOf(result)).toMatch(
      /^HTTP 403 Forbidden: API rate limit exceeded for user ID 1\.\nRate limited by the upstream: try again in (59\d|600) seconds \(after .+Z\)\.$/,
    );
    expect(result._meta?.['lunar-hub/retry-after']).toBeGreaterThanOrEqual(590);
  });

  it('windows are per resource: a used-up search window holds searches, not the core API', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 60);
    const upstream = await upstreamWith({
      'GET /search/code': (_q, res) =>
        json(res, 200, { total_count: 0, items: [] }, { 'x-ratelimit-resource': 'search', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }),
      'GET /repos/o/hub': (_q, res) =>
        json(res, 200, { id: 1 }, { 'x-ratelimit-resource': 'core', 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': reset }),
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github' } });
    const exchange = hub();
    const octocat = { connectionId: 'octocat' };
    expect(await exchange(request(connector, '/search/code', octocat))).toMatchObject({ status: 200 });
    const error = await rejected(exchange(request(connector, '/search/code', octocat)));
    expect(error.code).toBe('HUB_ERR_RATE_LIMITED');
    expect(error.message).toContain('no requests left until its "search" window resets');
    expect(await exchange(request(connector, '/repos/o/hub', octocat))).toMatchObject({ status: 200 });
    expect(upstream.arrivals.map((a) => a.path)).toEqual(['/search/code', '/repos/o/hub']);
  });

  it('secondary limit: a 403 with retry-after is waited out and retried', async () => {
    const upstream = await upstreamWith({
      'POST /repos/o/hub/issues': inTurn(
        (_q, res) =>
          json(
            res,
            403,
            { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
            { 'retry-after': '1', 'x-ratelimit-remaining': '4990' },
          ),
        (_q, res) => json(res, 201, { number: 7 }),
      ),
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github' } });
    const response = await hub()(request(connector, '/repos/o/hub/issues', { method: 'POST', connectionId: 'octocat' }));
    expect(response).toMatchObject({ status: 201, attempts: 2 });
    const [first, second] = upstream.times();
    expect(second - first).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });

  it('secondary limit named only in the body: GitHub means a minute, so the 403 comes back saying when to retry', async () => {
    const upstream = await upstreamWith({
      'GET /search/code': (_q, res) => json(res, 403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }),
    });
    const connector = connectorFor(upstream, 'github', { rateLimit: { headers: 'github', maxWaitMs: 5000 } });
    const response = await hub()(request(connector, '/search/code', { connectionId: 'octocat' }));
    expect(response).toMatchObject({ status: 403, attempts: 1 });
    const result = mapResponse(registered(connector, '/search/code'), response, connector);
    expect(textOf(result)).toMatch(
      /^HTTP 403 Forbidden: You have exceeded a secondary rate limit\. .*\nRate limited by the upstream: try again in 60 seconds \(after .+Z\)\.$/,
    );
    expect(result._meta).toMatchObject({ 'lunar-hub/retry-after': 60 });
  });
});

describe('Slack', () => {
  it('429 + Retry-After holds that method only (tiers are per method), and the post is retried', async () => {
    const upstream = await upstreamWith({
      'POST /api/chat.postMessage': inTurn(
        (_q, res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }),
        (_q, res) => json(res, 200, { ok: true, ts: '1.2' }),
      ),
      'POST /api/conversations.list': (_q, res) => json(res, 200, { ok: true, channels: [] }),
    });
    const connector = connectorFor(upstream, 'slack', { rateLimit: { headers: 'slack' } });
    const left = departures();
    const exchange = hub(retryStage, left.terminal);
    const post = exchange(request(connector, '/api/chat.postMessage', { method: 'POST', connectionId: 'T123' }));
    // The 429 is back at the hub: its hold is known.
    await until(() => left.answered() === 1);
    const listed = performance.now();
    expect(await exchange(request(connector, '/api/conversations.list', { method: 'POST', connectionId: 'T123' }))).toMatchObject({ status: 200, attempts: 1 });
    expect(performance.now() - listed).toBeLessThan(500);
    const second = exchange(request(connector, '/api/chat.postMessage', { method: 'POST', connectionId: 'T123' }));
    expect(await post).toMatchObject({ status: 200, attempts: 2 });
    expect(await second).toMatchObject({ status: 200, attempts: 1 });
    const [limited, ...later] = upstream.times('/api/chat.postMessage');
    expect(later).toHaveLength(2);
    for (const at of later) expect(at - limited).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });
});

describe('Slack tiers in the connector file (rateLimit.perOperation)', () => {
  it('paces one method of each workspace at its tier; other methods and other workspaces are not held by it', async () => {
    const upstream = await upstreamWith({
      'POST /api/chat.postMessage': (_q, res) => json(res, 200, { ok: true }),
      'POST /api/conversations.list': (_q, res) => json(res, 200, { ok: true, channels: [] }),
    });
    // Tier "special": chat.postMessage about one per second per channel; 4 per second here to keep the test short.
    const connector = connectorFor(upstream, 'slack', { rateLimit: { headers: 'slack', perOperation: { 'POST /api/chat.postMessage': { perSecond: 4 } } } });
    const left = departures();
    const exchange = hub(retryStage, left.terminal);
    // A warm client: the first request of a process loads and connects, which would delay the first post, not the hub's pace.
    await exchange(request(connector, '/api/conversations.list', { method: 'POST', connectionId: 'T0' }));
    const started = performance.now();
    const posts = Array.from({ length: 8 }, () =>
      exchange(request(connector, '/api/chat.postMessage', { method: 'POST', connectionId: 'T1', headers: { 'x-team': 'T1' } })),
    );
    // The rest once the first post is out: sixteen requests opening connections in this one process would delay it too.
    await until(() => upstream.arrivals.length >= 2);
    const lists = Array.from({ length: 8 }, () => exchange(request(connector, '/api/conversations.list', { method: 'POST', connectionId: 'T1' })));
    const otherTeam = Array.from({ length: 3 }, () =>
      exchange(request(connector, '/api/chat.postMessage', { method: 'POST', connectionId: 'T2', headers: { 'x-team': 'T2' } })),
    );
    await Promise.all(lists);
    const listsDone = performance.now() - started;
    await Promise.all(otherTeam);
    const otherDone = performance.now() - started;
    expect((await Promise.all(posts)).map((r) => r.status)).toEqual(Array(8).fill(200));
    const times = left.times('/api/chat.postMessage', 'T1');
    expect(times).toHaveLength(8);
    // 4 per second: slots 258 ms apart from the first; a departure is never early by more than a millisecond.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[0]).toBeGreaterThanOrEqual(i * 258 - 1 - CLOCK_SLACK_MS);
    // Not queued behind T1's posts: done before the last of them could leave (1.75 s in).
    const lastPost = Math.max(...times) - started;
    expect(listsDone).toBeLessThan(lastPost);
    expect(otherDone).toBeLessThan(lastPost);
  });
});

describe('Jira', () => {
  it("429 + Retry-After: the call is retried after it, and the connection's other calls wait for it too", async () => {
    const upstream = await upstreamWith({
      'GET /rest/api/3/search': inTurn(
        (_q, res) =>
          json(
            res,
            429,
            { errorMessages: ['Rate limit exceeded.'] },
            { 'retry-after': '1', 'x-ratelimit-reset': new Date(Date.now() + 1000).toISOString(), 'x-ratelimit-nearlimit': 'true' },
          ),
        (_q, res) => json(res, 200, { issues: [] }),
      ),
    });
    const connector = connectorFor(upstream, 'jira');
    const left = departures();
    const exchange = hub(retryStage, left.terminal);
    const first = exchange(request(connector, '/rest/api/3/search', { connectionId: 'site-1' }));
    // The 429 is back at the hub: its hold is known.
    await until(() => left.answered() === 1);
    const second = exchange(request(connector, '/rest/api/3/search', { connectionId: 'site-1' }));
    expect(await first).toMatchObject({ status: 200, attempts: 2 });
    expect(await second).toMatchObject({ status: 200, attempts: 1 });
    const [limited, ...later] = upstream.times();
    expect(later).toHaveLength(2);
    for (const at of later) expect(at - limited).toBeGreaterThanOrEqual(1000 - CLOCK_SLACK_MS);
  });
});

describe('a connector with no rates set', () => {
  it('learns the rate from a 429 storm: every call completes, each refused at most once, and the upstream never refuses after the first burst', async () => {
    // A token bucket of 20 per second (burst 20), 429 + Retry-After: 1 beyond it.
    const RATE = 20;
    let tokens = RATE;
    let last = performance.now();
    const refusedAt: number[] = [];
    const upstream = await upstreamWith({
      'GET /items/*': (_req, res) => {
        const now = performance.now();
        tokens = Math.min(RATE, tokens + ((now - last) / 1000) * RATE);
        last = now;
        if (tokens < 1) {
          refusedAt.push(now);
          return json(res, 429, { message: 'rate limited' }, { 'retry-after': '1' });
        }
        tokens -= 1;
        return json(res, 200, { ok: true });
      },
    });
    const connector = connectorFor(upstream, 'storm', { retry: { budgetMs: 10_000 } });
    const exchange = hub();
    const CALLS = 60;
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: CALLS }, (_, i) => exchange(request(connector, `/items/${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(CALLS).fill(200));
    // Refused only in the first burst, before any answer could teach the hub anything: no call twice.
    expect(responses.every((r) => (r.attempts ?? 1) <= 2)).toBe(true);
    expect(refusedAt.length).toBe(responses.filter((r) => r.attempts === 2).length);
    expect(upstream.arrivals.length).toBeLessThanOrEqual(CALLS + (CALLS - RATE));
    // The 40 held back leave paced at the learnt ~20/s after the one-second hold: about two seconds more.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2500);
  });

  // Issue 14, item 2: a storm at a Slack-style upstream costs few refusals, not one per call.
  it('a 429 + Retry-After storm: the first refusal holds the whole queue, which then leaves at the learnt rate; only the first burst is refused', async () => {
    const RATE = 20;
    let tokens = RATE;
    let last = performance.now();
    let refused = 0;
    const upstream = await upstreamWith({
      'POST /chat.postMessage': (_req, res) => {
        const now = performance.now();
        tokens = Math.min(RATE, tokens + ((now - last) / 1000) * RATE);
        last = now;
        if (tokens < 1) {
          refused++;
          return json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
        }
        tokens -= 1;
        return json(res, 200, { ok: true });
      },
    });
    const connector = connectorFor(upstream, 'slackish', { retry: { budgetMs: 10_000 } });
    const exchange = hub();
    const CALLS = 100;
    const responses = await Promise.all(Array.from({ length: CALLS }, () => exchange(request(connector, '/chat.postMessage', { method: 'POST' }))));
    expect(responses.map((r) => r.status)).toEqual(Array(CALLS).fill(200));
    // Refused: what was in flight when the bucket ran dry (the window lets out its first 8 and one more per answer
    // accepted), and hardly any after it: a fixed cost, so 500 calls stay under 1.10 requests per call (the bench's).
    expect(refused).toBe(upstream.arrivals.length - CALLS);
    expect(refused).toBeLessThanOrEqual(RATE + 12);
  });

  // Issue 14, item 1: GitHub's primary limit, copied by many APIs, understood with nothing configured.
  it('a 403 with x-ratelimit-remaining 0 and a reset from an API with no connector file: no call lost, at most 1.10 requests per call', async () => {
    const RATE = 50;
    let second = 0;
    let used = 0;
    const upstream = await upstreamWith({
      'GET /items/*': (_req, res) => {
        const now = Math.floor(Date.now() / 1000);
        if (now !== second) {
          second = now;
          used = 0;
        }
        const limits = { 'x-ratelimit-limit': String(RATE), 'x-ratelimit-reset': String(now + 1) };
        if (used >= RATE) return json(res, 403, { message: 'API rate limit exceeded' }, { ...limits, 'x-ratelimit-remaining': '0' });
        used++;
        return json(res, 200, { ok: true }, { ...limits, 'x-ratelimit-remaining': String(RATE - used) });
      },
    });
    const connector = connectorFor(upstream, 'primary');
    expect(connector.policy?.rateLimit.headers).toBe('standard');
    const exchange = hub();
    const CALLS = 150;
    const responses = await Promise.all(Array.from({ length: CALLS }, (_, i) => exchange(request(connector, `/items/${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(CALLS).fill(200));
    expect(upstream.arrivals.length).toBeLessThanOrEqual(CALLS * 1.1);
  });
});
