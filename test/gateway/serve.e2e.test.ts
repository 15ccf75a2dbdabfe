/**
 * `lunar-hub serve` as a real process, the SDK's real Client over Streamable HTTP, and a
 * real HTTP upstream on loopback.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { removeScratchDirs, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { listAll } from '../helpers/mcp';
import { json, slowRoute, startUpstream, type Upstream } from '../helpers/upstream';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

let upstream: Upstream;
let specs: string;
let hub: ServedHub;
const aborted: string[] = [];

function connectorFile(baseUrl: string): string {
  return `baseUrl: ${baseUrl}\ntimeouts:\n  connectMs: 2000\n  headersMs: 3000\n  bodyMs: 3000\nmaxResponseBytes: 65536\n`;
}

async function connect(url = hub.mcpUrl): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items': (_req, res) =>
      json(res, 200, [
        { id: '1', name: 'one' },
        { id: '2', name: 'two' },
      ]),
    'GET /api/items/*': (req, res) =>
      req.url.endsWith('/drifted')
        ? json(res, 200, { id: 5, name: 'drifted' })
        : req.url.endsWith('/missing')
          ? json(res, 404, { message: 'Item not found' })
          : json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget', price: 3 }),
    'POST /api/items': (req, res) => json(res, 201, { id: '7', ...JSON.parse(req.body.toString('utf8')) }),
    'DELETE /api/items/*': (_req, res) => void res.writeHead(204).end(),
    'GET /api/items/*/image': (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG),
    'GET /api/slow': slowRoute(aborted),
    'GET /api/export': (_req, res) => json(res, 200, { rows: Array.from({ length: 5000 }, (_, i) => ({ i, text: 'x'.repeat(20) })) }),
  });
  specs = scratchDir('serve-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), connectorFile(`${upstream.url}/api`));
  hub = await startServe(['--specs', specs, '--page-size', '3']);
}, 90_000);

afterAll(async () => {
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

describe('tools/list', () => {
  it('pages through every tool in name order with cursors', async () => {
    const client = await connect();
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      expect(page.tools.length).toBeLessThanOrEqual(3);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(names).toEqual(['shop_create_item', 'shop_delete_item', 'shop_export_all', 'shop_get_item', 'shop_get_item_image', 'shop_list_items', 'shop_slow']);
    await expect(client.listTools({ cursor: '!!' })).rejects.toThrow(/Invalid cursor/);
    await client.close();
  });

  it('serves one connector at /mcp/<connector> and toolsets by query', async () => {
    const media = await connect(`${hub.mcpUrl}?toolsets=shop:media`);
    expect((await media.listTools()).tools.map((t) => t.name)).toEqual(['shop_get_item_image']);
    await expect(media.callTool({ name: 'shop_get_item', arguments: { id: '1' } })).rejects.toThrow(/Unknown tool/);
    await media.close();
    const one = await connect(`${hub.mcpUrl}/shop`);
    expect(await listAll(one)).toHaveLength(7);
    await one.close();
    const response = await fetch(`${hub.mcpUrl}/nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(response.status).toBe(404);
  });
});

describe('tools/call', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect();
    await listAll(client); // the SDK client validates structuredContent against listed outputSchemas
  });
  afterAll(() => client.close());

  it('calls the upstream and returns JSON as structuredContent and text', async () => {
    const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: 'a b/../c' } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ id: 'a b/../c', name: 'widget', price: 3 });
    expect(upstream.seen.at(-1)!.url).toBe('/api/items/a%20b%2F..%2Fc');
    expect(JSON.parse(text(result))).toEqual(result.structuredContent);
  });

  it('sends JSON bodies and query arrays', async () => {
    const created = (await client.callTool({ name: 'shop_create_item', arguments: { name: 'lamp', price: 12.5 } })) as CallToolResult;
    expect(created.structuredContent).toEqual({ id: '7', name: 'lamp', price: 12.5 });
    expect(upstream.seen.at(-1)!.headers['content-type']).toBe('application/json');
    const list = (await client.callTool({ name: 'shop_list_items', arguments: { per_page: 2, tags: ['a', 'b'] } })) as CallToolResult;
    expect(list.structuredContent).toBeUndefined(); // an array is not an object
    expect(JSON.parse(text(list))).toHaveLength(2);
    expect(upstream.seen.at(-1)!.url).toBe('/api/items?per_page=2&tags=a,b');
  });

  it('refuses bad arguments, naming each field, without calling the upstream', async () => {
    const before = upstream.seen.length;
    const result = (await client.callTool({ name: 'shop_create_item', arguments: { name: '', price: -1, colour: 'red' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/HUB_ERR_CALL_ARGUMENTS/);
    expect(text(result)).toMatch(/name: must NOT have fewer than 1 characters/);
    expect(text(result)).toMatch(/price: must be >= 0/);
    expect(text(result)).toMatch(/colour: is not an argument of this tool/);
    expect(upstream.seen.length).toBe(before);
  });

  it('turns an upstream 404 into an isError result with the status and the upstream message', async () => {
    const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: 'missing' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/404/);
    expect(text(result)).toMatch(/Item not found/);
  });

  it('returns an answer that breaks the outputSchema as an error result that keeps the data', async () => {
    const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: 'drifted' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(text(result)).toContain('{"id":5,"name":"drifted"}');
    expect(text(result)).toMatch(/HUB_ERR_UPSTREAM_SHAPE: shop_get_item: the response does not match the tool's outputSchema \(\/id must be string\)/);
  });

  it('returns images as image content and 204 as a short text', async () => {
    const image = (await client.callTool({ name: 'shop_get_item_image', arguments: { id: '1' } })) as CallToolResult;
    expect(image.content[0]).toEqual({ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' });
    const deleted = (await client.callTool({ name: 'shop_delete_item', arguments: { id: '1' } })) as CallToolResult;
    expect(deleted.isError).toBeFalsy();
    expect(text(deleted)).toMatch(/204/);
  });

  it('cuts an oversized body and says how to get the rest', async () => {
    const result = (await client.callTool({ name: 'shop_export_all', arguments: {} })) as CallToolResult;
    expect(result.structuredContent).toBeUndefined();
    // A cut body cannot be the object the outputSchema promises; clients accept it as an error result.
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/65,?536/);
    expect(text(result)).toMatch(/fields/);
  });

  it('turns a slow upstream into a timeout result, and the session lives on', async () => {
    const result = (await client.callTool({ name: 'shop_slow', arguments: { ms: 6000 } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/HUB_ERR_UPSTREAM_TIMEOUT/);
    const after = (await client.callTool({ name: 'shop_get_item', arguments: { id: '2' } })) as CallToolResult;
    expect(after.isError).toBeFalsy();
  });

  it('aborts the upstream request when the client cancels', async () => {
    const until = async (done: () => boolean, ms: number, what: string) => {
      const deadline = Date.now() + ms;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (!done()) throw new Error(`timed out waiting until ${what}`);
    };
    const controller = new AbortController();
    const pending = client.callTool({ name: 'shop_slow', arguments: { ms: 2800 } }, undefined, { signal: controller.signal, timeout: 10_000 });
    await until(() => upstream.seen.some((r) => r.url === '/api/slow?ms=2800'), 5000, 'the upstream has the request');
    controller.abort();
    await expect(pending).rejects.toThrow();
    // Well before the connector's 3 s headers timeout could close it instead.
    await until(() => aborted.includes('/api/slow?ms=2800'), 2000, 'the upstream request is aborted');
  });

  it('reports progress while waiting when the client asks for it', async () => {
    const updates: number[] = [];
    const result = (await client.callTool({ name: 'shop_slow', arguments: { ms: 2500 } }, undefined, {
      onprogress: (p) => updates.push(p.progress),
      timeout: 10_000,
    })) as CallToolResult;
    expect(result.structuredContent).toEqual({ waited: 2500 });
    expect(updates.length).toBeGreaterThanOrEqual(1);
  });
});

describe('hot reload', () => {
  it('adds, changes, keeps through breakage, and removes tools, telling the client each time', async () => {
    const client = await connect();
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changes++;
    });
    const names = async () => (await listAll(client)).map((t) => t.name).filter((n) => n.startsWith('trees_'));
    const health = async () =>
      (await (await fetch(`${hub.url}/healthz`)).json()) as { status: string; failures: Array<{ file: string; code: string; servingPrevious?: string }> };
    const waitFor = async (predicate: () => Promise<boolean>) => {
      for (let i = 0; i < 50; i++) {
        if (await predicate()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('timed out waiting for the reload');
    };
    const treeSpec = path.join(specs, 'trees.json');
    writeFileSync(path.join(specs, 'trees.connector.yaml'), connectorFile(`${upstream.url}/api`));
    copyFileSync(fixture('circular-3.1.json'), treeSpec);
    await waitFor(async () => (await names()).length === 3);
    await waitFor(async () => changes >= 1);

    const changed = changes;
    const doc = JSON.parse(readFileSync(treeSpec, 'utf8'));
    doc.paths['/trees'].post.summary = 'Plant a tree';
    writeFileSync(treeSpec, JSON.stringify(doc));
    await waitFor(async () => (await listAll(client)).some((t) => t.title === 'Plant a tree'));
    await waitFor(async () => changes > changed);

    writeFileSync(treeSpec, '{ "openapi": "3.1.0", broken');
    await waitFor(async () => (await health()).failures.length === 1);
    const degraded = await health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.failures[0]).toMatchObject({ code: 'HUB_ERR_SPEC_PARSE', servingPrevious: 'trees' });
    expect(await names()).toHaveLength(3); // the last good version stays served
    expect((await listAll(client)).map((t) => t.name)).toContain('shop_get_item');

    rmSync(treeSpec);
    await waitFor(async () => (await names()).length === 0);
    expect((await health()).status).toBe('ok');
    await client.close();
  }, 30_000);
});

describe('the HTTP front door', () => {
  it('answers /healthz and /metrics', async () => {
    const health = (await (await fetch(`${hub.url}/healthz`)).json()) as { status: string; connectors: Array<{ id: string; tools: number }> };
    expect(health.connectors).toContainEqual(expect.objectContaining({ id: 'shop', tools: 7 }));
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toMatch(/lunar_hub_tool_calls_total\{connector="shop",tool="shop_get_item",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/lunar_hub_upstream_responses_total\{connector="shop",status="404"\} \d+/);
    expect(metrics).toMatch(/lunar_hub_tool_call_duration_seconds_bucket/);
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    const response = await request(hub.mcpUrl, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(response.statusCode).toBe(403);
    await response.body.dump();
  });

  it.each([
    ['broken JSON', '/mcp', '{"jsonrpc":', 400, -32700],
    ['a path that does not decode', '/mcp/%ZZ', '{}', 400, -32600],
  ])('answers %s with a JSON-RPC error, never a stack trace', async (_name, path, body, status, code) => {
    const response = await fetch(`${hub.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    expect(response.status).toBe(status);
    const text = await response.text();
    expect(text).not.toMatch(/\bat .*\.js:\d+/);
    expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code } });
  });

  it('logs structured JSON lines', () => {
    // Every line is JSON but the one plain banner `serve` prints for people.
    const lines = hub
      .stderr()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('lunar-hub serving '));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(hub.stderr()).toMatch(/"msg":"tool call"/);
  });
});

describe('stateless mode', () => {
  it('serves list and call without sessions', async () => {
    const stateless = await startServe(['--specs', specs, '--stateless']);
    try {
      const client = await connect(stateless.mcpUrl);
      expect((await client.listTools()).tools.length).toBeGreaterThanOrEqual(7);
      const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: '9' } })) as CallToolResult;
      expect(result.structuredContent).toMatchObject({ id: '9' });
      await client.close();
      const get = await fetch(stateless.mcpUrl, { headers: { accept: 'text/event-stream' } });
      expect(get.status).toBe(405);
    } finally {
      expect(await stateless.stop()).toBe(0);
    }
  }, 60_000);
});
