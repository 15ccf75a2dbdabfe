/**
 * Identical concurrent reads share one request (gateway/upstream/dedupe.ts), against a
 * real loopback upstream that answers slowly enough for calls to overlap.
 */
import type http from 'node:http';
import { DEFAULT_UPSTREAM_POLICY, type ConnectorRuntime } from '../../gateway/core';
import { createDedupeStage } from '../../gateway/upstream/dedupe';
import { composeExchange, type ExchangeRequest } from '../../gateway/upstream/exchange';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { until } from '../helpers/timing';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let connector: ConnectorRuntime;
/** Responses held back until released: the calls overlap for as long as a test wants. */
const pending: http.ServerResponse[] = [];
let aborted = 0;

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /items/*': (req, res) => {
      pending.push(res);
      res.on('close', () => {
        if (!res.writableEnded) aborted++;
      });
      void req;
    },
    'POST /items': (_req, res) => json(res, 201, { created: true }),
    'GET /quick/*': (_req, res) => json(res, 200, { quick: true }),
  });
  connector = {
    id: 'demo',
    baseUrl: upstream.url,
    allowedHosts: [new URL(upstream.url).host],
    timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 5000 },
    maxResponseBytes: 1 << 20,
    policy: DEFAULT_UPSTREAM_POLICY,
  };
});

afterEach(() => {
  for (const res of pending.splice(0)) if (!res.writableEnded) res.end();
});

afterAll(async () => {
  await upstream.close();
  await closeAgents();
});

function call(
  path: string,
  options: { method?: string; connectionId?: string; headers?: Record<string, string>; signal?: AbortSignal; body?: string } = {},
): ExchangeRequest {
  const method = options.method ?? 'GET';
  return {
    method,
    url: `${upstream.url}${path}`,
    headers: { accept: 'application/json', authorization: 'Bearer t', ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : method === 'GET' ? {} : { body: '{}' }),
    signal: options.signal ?? new AbortController().signal,
    connector,
    scope: { connectorId: 'demo', tenantId: 't1', connectionId: options.connectionId ?? 'c1', tool: 'demo_get', operation: `${method} /items/{id}` },
  };
}

const sent = (path: string) => upstream.seen.filter((r) => r.url === path).length;

async function released(count: number, body: unknown = { id: 1 }): Promise<void> {
  await until(() => pending.length >= count, 3000, `${count} requests at the upstream`);
  // A little longer: a request that should not have been merged would show up now.
  await new Promise((r) => setTimeout(r, 50));
  for (const res of pending.splice(0)) json(res, 200, body);
}

it('ten identical concurrent GETs send one request and all get its answer', async () => {
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  const calls = Array.from({ length: 10 }, () => exchange(call('/items/1')));
  await released(1, { id: 1, name: 'one' });
  const responses = await Promise.all(calls);
  expect(sent('/items/1')).toBe(1);
  for (const response of responses) expect(JSON.parse(response.body.toString('utf8'))).toEqual({ id: 1, name: 'one' });
  expect(responses.filter((r) => r.shared === true)).toHaveLength(9);
  // Separate objects: one caller's changes do not reach another's.
  expect(new Set(responses.map((r) => r.headers)).size).toBe(10);
  // Once answered, the next call sends again.
  const later = exchange(call('/items/1'));
  await released(1);
  await later;
  expect(sent('/items/1')).toBe(2);
});

it('never merges calls of other connections, other headers, other URLs, or with a body', async () => {
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  const calls = [
    exchange(call('/items/2')),
    exchange(call('/items/2', { connectionId: 'c2' })),
    exchange(call('/items/2', { headers: { authorization: 'Bearer other' } })),
    exchange(call('/items/2', { headers: { accept: 'text/csv' } })),
    exchange(call('/items/3')),
    // A GET with a body (a search some APIs take that way): its answer depends on the body.
    exchange(call('/items/2', { body: '{"q":"a"}' })),
    exchange(call('/items/2', { body: '{"q":"a"}' })),
  ];
  await released(7);
  await Promise.all(calls);
  expect(sent('/items/2')).toBe(6);
  const posts = await Promise.all([exchange(call('/items', { method: 'POST' })), exchange(call('/items', { method: 'POST' }))]);
  expect(posts.map((p) => p.status)).toEqual([201, 201]);
  expect(sent('/items')).toBe(2);
});

it('a caller that gives up stops waiting at once; the others still get the answer', async () => {
  const abortedBefore = aborted;
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  const quitter = new AbortController();
  const first = exchange(call('/items/4', { signal: quitter.signal }));
  const second = exchange(call('/items/4'));
  const failure = first.catch((error: unknown) => error);
  await new Promise((r) => setTimeout(r, 50));
  quitter.abort(new Error('agent cancelled'));
  expect(((await failure) as Error).message).toBe('agent cancelled');
  await released(1, { id: 4 });
  expect(JSON.parse((await second).body.toString('utf8'))).toEqual({ id: 4 });
  expect(sent('/items/4')).toBe(1);
  expect(aborted - abortedBefore).toBe(0);
});

it('when every caller gives up, the shared request is cancelled and the next call sends anew', async () => {
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  const controllers = [new AbortController(), new AbortController()];
  const calls = controllers.map((c) => exchange(call('/items/5', { signal: c.signal })).catch((error: unknown) => error));
  const abortedBefore = aborted;
  await until(() => pending.length >= 1, 3000, 'the shared request at the upstream');
  for (const c of controllers) c.abort(new Error('gone'));
  expect((await Promise.all(calls)).map((e) => (e as Error).message)).toEqual(['gone', 'gone']);
  await until(() => aborted > abortedBefore, 3000, 'the upstream request aborted');
  expect(aborted - abortedBefore).toBe(1);
  const again = exchange(call('/items/5'));
  await released(1, { id: 5 });
  expect((await again).status).toBe(200);
  expect(sent('/items/5')).toBe(2);
});

it('an error of the shared request reaches every caller', async () => {
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  const calls = [exchange(call('/items/6')), exchange(call('/items/6'))].map((p) => p.catch((error: unknown) => error));
  await until(() => pending.length >= 1, 3000, 'the shared request at the upstream');
  pending.splice(0).forEach((res) => res.destroy());
  const errors = await Promise.all(calls);
  expect(errors[0]).toBeInstanceOf(Error);
  expect(errors[1]).toBe(errors[0]);
});

it('a caller that sends the same request again the moment it has its answer starts a new one (never joins the finished one)', async () => {
  const exchange = composeExchange([createDedupeStage()], undiciExchange);
  // No ticks between one answer and the next call, as a sequential loop does.
  for (let i = 0; i < 5; i++) expect((await exchange(call('/quick/1'))).status).toBe(200);
  expect(sent('/quick/1')).toBe(5);
}, 5000);
