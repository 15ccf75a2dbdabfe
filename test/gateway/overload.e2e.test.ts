/**
 * Load shedding on a real `lunar-hub serve`: with `server.maxInFlight` requests already in
 * flight (calls held by a slow upstream), the next ones are refused at once with 503,
 * Retry-After and HUB_ERR_OVERLOADED, none of them reaches the upstream, and the hub
 * serves normally again once the load is gone.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { removeScratchDirs, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'overload-e2e', version: '1.0.0' },
};

let upstream: Upstream;
let hub: ServedHub;

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': async (req, res) => {
      // Slow enough that every call of a burst is still in flight when the last arrives.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget', price: 3 });
    },
  });
  const specs = scratchDir('overload-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  hub = await startServe(['--specs', specs], { LUNAR_MAX_IN_FLIGHT: '3' });
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

function call(id: string): Promise<Response> {
  return fetch(hub.mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'shop_get_item',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shop_get_item', arguments: { id }, _meta: META } }),
  });
}

it('refuses what is over maxInFlight at once with 503 + Retry-After, calls nothing upstream for it, and serves again after', async () => {
  const seenBefore = upstream.seen.length;
  const started = performance.now();
  const held = [call('a'), call('b'), call('c')];
  // The three are in flight once the upstream has them.
  while (upstream.seen.length < seenBefore + 3) await new Promise((resolve) => setTimeout(resolve, 10));
  const burst = await Promise.all(Array.from({ length: 9 }, (_, i) => call(`over-${i}`)));
  // Refused at once, not after waiting for a slot (the held calls take 1.5 s).
  expect(performance.now() - started).toBeLessThan(1400);
  for (const answer of burst) {
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    const body = (await answer.json()) as { error: { message: string; data: { code: string; retryAfterSeconds: number } } };
    expect(body.error.data).toEqual({ code: 'HUB_ERR_OVERLOADED', retryAfterSeconds: 1 });
    expect(body.error.message).toContain('3 requests in flight (server.maxInFlight)');
  }
  for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
  expect(upstream.seen.filter((r) => r.url.startsWith('/api/items/over-'))).toHaveLength(0);

  const metrics = await (await fetch(`${hub.url}/metrics`)).text();
  expect(metrics).toMatch(/lunar_hub_requests_shed_total\{reason="in-flight"\} 9/);

  // The load gone, an SDK client is served as usual.
  const client = new Client({ name: 'overload-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: 'after' } })) as CallToolResult;
  expect(result.structuredContent).toEqual({ id: 'after', name: 'widget', price: 3 });
  await client.close();
}, 30_000);
