import { errors } from '../../errors';
import { type ConnectorRuntime, DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from '../core';
import type { Exchange, ExchangeRequest, ExchangeResponse } from './exchange';
import { createRetryStage, retryableCode, retryDelay, sleep, type RetryInput } from './retry';

const POLICY: Pick<UpstreamPolicy, 'retry' | 'rateLimit'> = {
  retry: { attempts: 3, budgetMs: 10_000, baseDelayMs: 100, maxDelayMs: 1000, idempotencyHeader: 'idempotency-key' },
  rateLimit: { perConnection: {}, perConnector: {}, perOperation: {}, headers: 'standard', maxWaitMs: 5000 },
};

/** random() = 1 gives the top of the jitter range, so the expected delays are exact. */
const base: RetryInput = { attempt: 1, method: 'GET', idempotent: false, elapsedMs: 0, policy: POLICY, random: () => 1 };

describe('retryDelay', () => {
  test.each<[string, { given: Partial<RetryInput>; want: number | undefined }]>([
    // statuses worth another attempt, idempotent methods
    ['GET 503: backoff base * 2^0', { given: { status: 503 }, want: 100 }],
    ['GET 503, second attempt: base * 2^1', { given: { status: 503, attempt: 2 }, want: 200 }],
    ['GET 500', { given: { status: 500 }, want: 100 }],
    ['GET 502', { given: { status: 502 }, want: 100 }],
    ['GET 504', { given: { status: 504 }, want: 100 }],
    ['GET 408', { given: { status: 408 }, want: 100 }],
    ['HEAD 503', { given: { method: 'HEAD', status: 503 }, want: 100 }],
    ['OPTIONS 503', { given: { method: 'OPTIONS', status: 503 }, want: 100 }],
    ['PUT 503', { given: { method: 'PUT', status: 503 }, want: 100 }],
    ['DELETE 503', { given: { method: 'DELETE', status: 503 }, want: 100 }],
    // never
    ['GET 400', { given: { status: 400 }, want: undefined }],
    ["GET 401 (the credentials stage's)", { given: { status: 401 }, want: undefined }],
    ['GET 403', { given: { status: 403 }, want: undefined }],
    ['GET 404', { given: { status: 404 }, want: undefined }],
    ['GET 410', { given: { status: 410 }, want: undefined }],
    ['GET 422', { given: { status: 422 }, want: undefined }],
    ['GET 501', { given: { status: 501 }, want: undefined }],
    ['GET 200', { given: { status: 200 }, want: undefined }],
    // unsafe methods
    ['POST 503 without idempotency key', { given: { method: 'POST', status: 503 }, want: undefined }],
    ['PATCH 502 without idempotency key', { given: { method: 'PATCH', status: 502 }, want: undefined }],
    ['POST 503 with idempotency key', { given: { method: 'POST', status: 503, idempotent: true }, want: 100 }],
    ['PATCH 500 with idempotency key', { given: { method: 'PATCH', status: 500, idempotent: true }, want: 100 }],
    ['POST 400 with idempotency key', { given: { method: 'POST', status: 400, idempotent: true }, want: undefined }],
    // rate limits: refused unprocessed, so any method
    ['GET 429 with Retry-After', { given: { status: 429, retryAfterMs: 1000, limited: true }, want: 1100 }],
    ['POST 429 with Retry-After (Slack posts)', { given: { method: 'POST', status: 429, retryAfterMs: 1000, limited: true }, want: 1100 }],
    ['GET 429 without Retry-After: backoff', { given: { status: 429, limited: true }, want: 100 }],
    ['GitHub secondary 403', { given: { status: 403, retryAfterMs: 2000, limited: true }, want: 2100 }],
    [
      '403 with rate-limit signals from any API, GET: a refusal, after the wait',
      { given: { status: 403, retryAfterMs: 1000, limited: true, mayHaveActed: true }, want: 1100 },
    ],
    [
      '403 with rate-limit signals from any API, POST: it may have acted, not retried',
      { given: { method: 'POST', status: 403, retryAfterMs: 1000, limited: true, mayHaveActed: true }, want: undefined },
    ],
    [
      '403 with rate-limit signals from any API, POST with idempotency key',
      { given: { method: 'POST', status: 403, retryAfterMs: 1000, limited: true, mayHaveActed: true, idempotent: true }, want: 1100 },
    ],
    ['Retry-After longer than rateLimit.maxWaitMs', { given: { status: 429, retryAfterMs: 6000, limited: true }, want: undefined }],
    ['Retry-After past the budget', { given: { status: 429, retryAfterMs: 4000, limited: true, elapsedMs: 7000 }, want: undefined }],
    ['Retry-After fits, its jitter is cut to the budget', { given: { status: 429, retryAfterMs: 2950, limited: true, elapsedMs: 7000 }, want: 3000 }],
    ['503 Retry-After within the budget (not a rate limit: maxWaitMs does not apply)', { given: { status: 503, retryAfterMs: 6000 }, want: 6100 }],
    ['503 Retry-After past the budget', { given: { status: 503, retryAfterMs: 12_000 }, want: undefined }],
    ['POST 503 Retry-After without key', { given: { method: 'POST', status: 503, retryAfterMs: 10 }, want: undefined }],
    // network errors
    ['GET ECONNRESET', { given: { errorCode: 'ECONNRESET' }, want: 100 }],
    ['GET UND_ERR_SOCKET', { given: { errorCode: 'UND_ERR_SOCKET' }, want: 100 }],
    ['GET EPIPE', { given: { errorCode: 'EPIPE' }, want: 100 }],
    ['GET ETIMEDOUT', { given: { errorCode: 'ETIMEDOUT' }, want: 100 }],
    ['GET UND_ERR_CONNECT_TIMEOUT', { given: { errorCode: 'UND_ERR_CONNECT_TIMEOUT' }, want: 100 }],
    ['POST ECONNRESET without key', { given: { method: 'POST', errorCode: 'ECONNRESET' }, want: undefined }],
    ['POST UND_ERR_SOCKET with key', { given: { method: 'POST', errorCode: 'UND_ERR_SOCKET', idempotent: true }, want: 100 }],
    ['POST ECONNREFUSED: never sent, any method', { given: { method: 'POST', errorCode: 'ECONNREFUSED' }, want: 100 }],
    ['POST UND_ERR_CONNECT_TIMEOUT: never sent', { given: { method: 'POST', errorCode: 'UND_ERR_CONNECT_TIMEOUT' }, want: 100 }],
    ["GET UND_ERR_HEADERS_TIMEOUT (the connector's timeout, not retried)", { given: { errorCode: 'UND_ERR_HEADERS_TIMEOUT' }, want: undefined }],
    ['GET UND_ERR_BODY_TIMEOUT (a stalled transfer, as a reset)', { given: { errorCode: 'UND_ERR_BODY_TIMEOUT' }, want: 100 }],
    ['POST UND_ERR_BODY_TIMEOUT without key', { given: { method: 'POST', errorCode: 'UND_ERR_BODY_TIMEOUT' }, want: undefined }],
    ['GET ENOTFOUND', { given: { errorCode: 'ENOTFOUND' }, want: undefined }],
    ['GET abort', { given: { errorCode: 'ABORT_ERR' }, want: undefined }],
    ['GET coded hub error', { given: { errorCode: 'HUB_ERR_RATE_LIMITED' }, want: undefined }],
    ['nothing to go on', { given: {}, want: undefined }],
    // bounds
    ['attempts used up', { given: { status: 503, attempt: 3 }, want: undefined }],
    ['backoff past the budget', { given: { status: 503, elapsedMs: 9950 }, want: undefined }],
  ])('%s', (_name, { given, want }) => {
    expect(retryDelay({ ...base, ...given })).toBe(want);
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs', () => {
    const policy = { ...POLICY, retry: { ...POLICY.retry, attempts: 10, budgetMs: 60_000 } };
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelay({ ...base, policy, attempt, status: 503 }));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(retryDelay({ ...base, policy, attempt: 4, status: 503, random: () => 0.25 })).toBe(200);
    expect(retryDelay({ ...base, policy, attempt: 4, status: 503, random: () => 0 })).toBe(0);
  });

  it('gives each waiting call its own delay', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelay({ ...base, status: 503, random: Math.random })));
    expect(delays.size).toBeGreaterThan(15);
    const waits = new Set(Array.from({ length: 20 }, () => retryDelay({ ...base, status: 429, limited: true, retryAfterMs: 1000, random: Math.random })));
    expect(waits.size).toBeGreaterThan(15);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(1000);
  });
});

describe('retryableCode', () => {
  it('finds the code in the cause chain and in aggregated errors', () => {
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(retryableCode(new TypeError('fetch failed', { cause: socket }))).toBe('UND_ERR_SOCKET');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(retryableCode(Object.assign(new AggregateError([refused]), { code: 'X_OTHER' }))).toBe('ECONNREFUSED');
    expect(retryableCode(Object.assign(new Error('x'), { code: 'HUB_ERR_RATE_LIMITED' }))).toBe('HUB_ERR_RATE_LIMITED');
    expect(retryableCode('boom')).toBeUndefined();
    // The hub's own error is not looked into: a limiter whose Redis refused is not an upstream that refused.
    const storeDown = errors.RATE_STORE(['demo_x', 'failed: connect ECONNREFUSED'], { cause: refused });
    expect(retryableCode(storeDown)).toBe('HUB_ERR_RATE_STORE');
    expect(retryDelay({ ...base, method: 'POST', errorCode: retryableCode(storeDown) })).toBeUndefined();
  });
});

describe('sleep', () => {
  it("waits, and ends at once with the signal's reason when aborted", async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const waiting = performance.now();
    await expect(sleep(10_000, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - waiting).toBeLessThan(1000);

    await expect(sleep(10_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});

describe('retry stage (over a scripted exchange)', () => {
  const connector: ConnectorRuntime = {
    id: 'demo',
    baseUrl: 'http://127.0.0.1:1',
    allowedHosts: ['127.0.0.1:1'],
    timeouts: { connectMs: 100, headersMs: 100, bodyMs: 100 },
    maxResponseBytes: 1000,
    policy: { ...DEFAULT_UPSTREAM_POLICY, ...POLICY, retry: { ...POLICY.retry, baseDelayMs: 1, maxDelayMs: 5 } },
  };
  const request = (method = 'GET', headers: Record<string, string> = {}): ExchangeRequest => ({
    method,
    url: 'http://127.0.0.1:1/x',
    headers,
    signal: new AbortController().signal,
    connector,
    scope: { connectorId: 'demo', tool: 'demo_x', operation: `${method} /x` },
  });
  const answer = (status: number, headers: Record<string, string> = {}): ExchangeResponse => ({
    status,
    headers,
    body: Buffer.alloc(0),
    truncated: false,
    attempts: 1,
  });
  /** Answers (or throws) in turn, counting calls. */
  function scripted(...steps: (ExchangeResponse | Error)[]): Exchange & { calls: number } {
    const exchange = Object.assign(
      async () => {
        const step = steps[Math.min(exchange.calls++, steps.length - 1)];
        if (step instanceof Error) throw step;
        return step;
      },
      { calls: 0 },
    );
    return exchange;
  }
  const stage = createRetryStage({ random: () => 0.5 });

  it('returns the last response with the attempts made', async () => {
    const next = scripted(answer(503), answer(502), answer(503));
    const response = await stage(next)(request());
    expect(response).toMatchObject({ status: 503, attempts: 3 });
    expect(next.calls).toBe(3);
  });

  it('stops at the first answer that is not retried', async () => {
    const next = scripted(answer(503), answer(404));
    expect(await stage(next)(request())).toMatchObject({ status: 404, attempts: 2 });
  });

  it('retries a POST only with the idempotency header', async () => {
    const once = scripted(answer(503), answer(201));
    expect(await stage(once)(request('POST'))).toMatchObject({ status: 503, attempts: 1 });
    const keyed = scripted(answer(503), answer(201));
    expect(await stage(keyed)(request('POST', { 'idempotency-key': 'k1' }))).toMatchObject({ status: 201, attempts: 2 });
  });

  it('takes a 403 that carries rate-limit signals for a refusal on any API: idempotent calls wait and go again, a plain 403 is returned', async () => {
    const resetIn = (s: number) => String(Math.ceil(Date.now() / 1000) + s);
    const primary = () => answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(1) });
    const got = scripted(primary(), answer(200));
    const started = Date.now();
    expect(await stage(got)(request())).toMatchObject({ status: 200, attempts: 2 });
    // It waited for the reset (the next whole second), not a backoff's milliseconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const retryAfter = scripted(answer(403, { 'retry-after': '0.05' }), answer(200));
    expect(await stage(retryAfter)(request('DELETE'))).toMatchObject({ status: 200, attempts: 2 });
    const posted = scripted(primary(), answer(201));
    expect(await stage(posted)(request('POST'))).toMatchObject({ status: 403, attempts: 1 });
    const plain = scripted(answer(403, { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': resetIn(1) }), answer(200));
    expect(await stage(plain)(request())).toMatchObject({ status: 403, attempts: 1 });
  });

  it('rethrows an error it does not retry, and the last one when attempts run out', async () => {
    const coded = Object.assign(new Error('limited'), { code: 'HUB_ERR_RATE_LIMITED' });
    const once = scripted(coded);
    await expect(stage(once)(request())).rejects.toBe(coded);
    expect(once.calls).toBe(1);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const thrice = scripted(reset);
    await expect(stage(thrice)(request())).rejects.toBe(reset);
    expect(thrice.calls).toBe(3);
  });
});
