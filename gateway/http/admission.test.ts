import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { admissionGate, type AdmissionGate, type ShedReason } from './admission';

let gate: AdmissionGate;
let server: http.Server;
let base: string;
const shedReasons: ShedReason[] = [];
const held: Array<() => void> = [];

/** A route whose requests stay in flight until released, behind a gate of two. */
async function start(maxInFlightBusy = 2): Promise<void> {
  gate = admissionGate({ maxInFlight: 2, maxInFlightBusy, retryAfterSeconds: 2, onShed: (reason) => shedReasons.push(reason) });
  const app = express();
  app.post('/mcp', gate.middleware, (_req, res) => {
    held.push(() => res.json({ ok: true }));
  });
  app.post('/quick', gate.middleware, (_req, res) => res.json({ ok: true }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const release of held.splice(0)) release();
  gate.close();
  shedReasons.length = 0;
  await new Promise((resolve) => server.close(resolve));
});

function post(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

it('sheds a request over maxInFlight with 503, Retry-After and HUB_ERR_OVERLOADED, and takes one again once a slot frees', async () => {
  await start();
  const first = post('/mcp');
  const second = post('/mcp');
  await until(() => held.length === 2);
  expect(gate.stats().inFlight).toBe(2);

  const refused = await post('/mcp');
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('2');
  const body = (await refused.json()) as { jsonrpc: string; error: { code: number; message: string; data: { code: string; retryAfterSeconds: number } } };
  expect(body.jsonrpc).toBe('2.0');
  expect(body.error.data).toEqual({ code: 'HUB_ERR_OVERLOADED', retryAfterSeconds: 2 });
  expect(body.error.message).toMatch(/^HUB_ERR_OVERLOADED: .*2 requests in flight \(server\.maxInFlight\)\. Try again in 2 seconds/);
  expect(shedReasons).toEqual(['in-flight']);

  held.shift()!();
  expect((await first).status).toBe(200);
  await until(() => gate.stats().inFlight === 1);
  const third = post('/mcp');
  await until(() => held.length === 2);
  for (const release of held.splice(0)) release();
  expect([(await second).status, (await third).status]).toEqual([200, 200]);
  await until(() => gate.stats().inFlight === 0);
  expect(gate.stats().shed).toBe(1);
});

it('frees the slot of a request whose client went away', async () => {
  await start();
  const controller = new AbortController();
  const abandoned = fetch(`${base}/mcp`, { method: 'POST', body: '{}', signal: controller.signal }).catch(() => 'aborted');
  await until(() => held.length === 1);
  controller.abort();
  expect(await abandoned).toBe('aborted');
  await until(() => gate.stats().inFlight === 0);
  expect((await post('/quick')).status).toBe(200);
});

it('does not count a 2026-07-28 subscription stream as in flight', async () => {
  await start();
  void post('/mcp', { 'mcp-method': 'subscriptions/listen' });
  void post('/mcp', { 'mcp-method': 'subscriptions/listen' });
  void post('/mcp', { 'mcp-method': 'subscriptions/listen' });
  await until(() => held.length === 3);
  expect(gate.stats().inFlight).toBe(0);
  expect((await post('/quick')).status).toBe(200);
});

it('takes fewer requests while the event loop is saturated, and all again once it is not', async () => {
  await start(1);
  const first = post('/mcp');
  await until(() => held.length === 1);
  // A test process may be busy at first (loading, other suites' work): start from a quiet loop.
  await until(() => !gate.stats().busy);
  // CPU-bound work holding the loop, as a flood of requests would; the gate reads the
  // loop's utilisation every 10 ms, over the last 50 ms.
  for (let i = 0; i < 8; i++) {
    const until = performance.now() + 25;
    while (performance.now() < until);
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(gate.stats().busy).toBe(true);
  const refused = await post('/mcp');
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
    'its event loop is saturated and 1 requests are in flight (server.maxInFlightBusy)',
  );
  expect(shedReasons).toEqual(['busy']);
  await until(() => !gate.stats().busy);
  const second = post('/mcp');
  await until(() => held.length === 2);
  for (const release of held.splice(0)) release();
  expect([(await first).status, (await second).status]).toEqual([200, 200]);
});
