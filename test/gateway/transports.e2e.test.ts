/**
 * The same end-to-end scenarios over both transports and both protocol eras:
 * `lunar-hub stdio` and `lunar-hub serve` (Streamable HTTP) as real processes, one real
 * HTTP upstream, and three kinds of client on each transport: SDK v1 (1.32, what most
 * agents run today: 2025-11-25), SDK v2 speaking 2025-11-25, and SDK v2 speaking
 * 2026-07-28 (stateless: `server/discover`, a `_meta` envelope on every request). Each
 * scenario runs once per client, and the tool lists of all six are compared.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';
import { BIN, freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { listAll, type ListingClient } from '../helpers/mcp';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** What the scenarios need of a client; SDK v1's and v2's Clients both have it. */
interface AnyClient extends ListingClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  getNegotiatedProtocolVersion?(): string | undefined;
  getServerVersion(): { name: string } | undefined;
  close(): Promise<void>;
}

const CLIENTS = [
  'stdio, SDK v1',
  'stdio, SDK v2 2025-11-25',
  'stdio, SDK v2 2026-07-28',
  'streamable http, SDK v1',
  'streamable http, SDK v2 2025-11-25',
  'streamable http, SDK v2 2026-07-28',
] as const;
type ClientName = (typeof CLIENTS)[number];

let upstream: Upstream;
let hub: ServedHub;
const clients = {} as Record<ClientName, AnyClient>;
let stdioData: string;
let stdioStderr = '';

function v2Client(era: '2025-11-25' | '2026-07-28'): ClientV2 {
  return new ClientV2(
    { name: `e2e-v2-${era}`, version: '1.0.0' },
    era === '2026-07-28' ? { supportedProtocolVersions: ['2026-07-28', '2025-11-25'], versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': (req, res) =>
      req.url.endsWith('/missing')
        ? json(res, 404, { message: 'Item not found' })
        : json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget' }),
    'POST /api/items': (req, res) => json(res, 201, { id: '1', ...JSON.parse(req.body.toString('utf8')) }),
    'GET /api/items': (_req, res) => json(res, 200, [{ id: '1', name: 'widget' }]),
    'GET /api/items/*/image': (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG),
  });
  const specs = scratchDir('transport-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  // One data folder for the three stdio processes: the audit test reads the SDK v1 one's entries.
  stdioData = freshDataDir();
  const stdioProcess = { command: process.execPath, args: [BIN, 'stdio', '--specs', specs, '--data', stdioData], cwd: REPO, stderr: 'pipe' as const };
  const env = { ...(process.env as Record<string, string>), CI: 'true' };
  const stdioV1 = new ClientV1({ name: 'stdio-e2e', version: '1.0.0' });
  const transportV1 = new StdioV1({ ...stdioProcess, env });
  transportV1.stderr?.on('data', (chunk: Buffer) => (stdioStderr += chunk.toString('utf8')));
  await stdioV1.connect(transportV1);
  clients['stdio, SDK v1'] = stdioV1;
  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    const client = v2Client(era);
    await client.connect(new StdioV2({ ...stdioProcess, env }));
    clients[`stdio, SDK v2 ${era}`] = client;
  }
  hub = await startServe(['--specs', specs]);
  const httpV1 = new ClientV1({ name: 'http-e2e', version: '1.0.0' });
  await httpV1.connect(new HttpV1(new URL(hub.mcpUrl)));
  clients['streamable http, SDK v1'] = httpV1;
  for (const era of ['2025-11-25', '2026-07-28'] as const) {
    const client = v2Client(era);
    await client.connect(new HttpV2(new URL(hub.mcpUrl)));
    clients[`streamable http, SDK v2 ${era}`] = client;
  }
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(clients).map((c) => c.close()));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

it('lists the same tools, field for field, to every client over stdio and over Streamable HTTP', async () => {
  const lists = await Promise.all(CLIENTS.map((name) => listAll(clients[name])));
  expect(lists[0].length).toBeGreaterThan(0);
  for (const list of lists.slice(1)) expect(list).toEqual(lists[0]);
});

it('speaks the era each client asked for', () => {
  for (const name of CLIENTS) {
    if (name.endsWith('SDK v1')) continue; // v1 has no accessor; it only speaks 2025-11-25
    expect([name, clients[name].getNegotiatedProtocolVersion?.()]).toEqual([name, name.endsWith('2026-07-28') ? '2026-07-28' : '2025-11-25']);
    expect(clients[name].getServerVersion()?.name).toBe('lunar-snake-hub');
  }
});

describe.each(CLIENTS)('over %s', (name) => {
  const client = () => clients[name];
  const transport = name.replace(/[, ]+/g, '-');

  it('lists every tool of the spec with its annotations', async () => {
    const tools: Tool[] = await listAll(client());
    expect(tools.map((t) => t.name)).toEqual([
      'shop_create_item',
      'shop_delete_item',
      'shop_export_all',
      'shop_get_item',
      'shop_get_item_image',
      'shop_list_items',
      'shop_slow',
    ]);
    expect(tools.find((t) => t.name === 'shop_get_item')!.annotations).toEqual({ readOnlyHint: true, idempotentHint: true });
  });

  it('calls a tool through the pipeline: the path parameter encoded, JSON back as structuredContent', async () => {
    const got = (await client().callTool({ name: 'shop_get_item', arguments: { id: `x/y ${transport}` } })) as CallToolResult;
    expect(got.structuredContent).toEqual({ id: `x/y ${transport}`, name: 'widget' });
    expect(upstream.seen.at(-1)!.url).toBe(`/api/items/x%2Fy%20${transport}`);
  });

  it('refuses bad arguments naming the field, and sends nothing upstream', async () => {
    const before = upstream.seen.length;
    const bad = (await client().callTool({ name: 'shop_create_item', arguments: {} })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(bad.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/name: is required/) });
    expect(upstream.seen.length).toBe(before);
  });

  it("returns an upstream 404 as isError with the status and the upstream's message", async () => {
    const missing = (await client().callTool({ name: 'shop_get_item', arguments: { id: 'missing' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(missing._meta).toMatchObject({ 'lunar-hub/status': 404 });
    expect(text(missing)).toMatch(/404.*Item not found/s);
  });

  it('returns an image as image content', async () => {
    const image = (await client().callTool({ name: 'shop_get_item_image', arguments: { id: '1' } })) as CallToolResult;
    expect(image.content).toContainEqual(expect.objectContaining({ type: 'image', mimeType: 'image/png', data: PNG.toString('base64') }));
  });

  it('answers an unknown tool with a JSON-RPC error naming the nearest tools', async () => {
    await expect(client().callTool({ name: 'shop_get_itm', arguments: {} })).rejects.toThrow(/Unknown tool: shop_get_itm; did you mean shop_get_item/);
  });
});

describe('the audit trail over stdio (issue 14, item 12)', () => {
  async function audited(tool: string, want: number): Promise<Array<Record<string, unknown>>> {
    let entries: Array<Record<string, unknown>> = [];
    for (let tries = 0; tries < 50; tries++) {
      const result = await runCli(['audit', '--tenant', 'default', '--tool', tool, '--data', stdioData, '--json']);
      expect(result.code).toBe(0);
      entries = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
      if (entries.length >= want) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return entries;
  }

  it('records every call, as the default tenant and the stdio agent, with its outcome and upstream status', async () => {
    await clients['stdio, SDK v1'].callTool({ name: 'shop_list_items', arguments: {} });
    await clients['stdio, SDK v1'].callTool({ name: 'shop_list_items', arguments: { per_page: 0 } });
    const entries = await audited('shop_list_items', 2);
    expect(entries.map((e) => [e.action, e.actorKind, e.actorId, e.tool, e.outcome, e.upstreamStatus ?? null, e.detail ?? null]).sort()).toEqual(
      [
        ['tool.call', 'agent', 'stdio', 'shop_list_items', 'ok', 200, null],
        ['tool.call', 'agent', 'stdio', 'shop_list_items', 'tool_error', null, 'HUB_ERR_CALL_ARGUMENTS'],
      ].sort(),
    );
    expect(stdioStderr).not.toContain('audit entry not written');
  });
});
