/** `lunar-hub stdio` as a real process, driven by the SDK's Client over the stdio transport. */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { removeScratchDirs, REPO, scratchDir } from '../helpers/cli';
import { BIN, freshDataDir } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let client: Client;

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget' }),
    'POST /api/items': (req, res) => json(res, 201, { id: '1', ...JSON.parse(req.body.toString('utf8')) }),
  });
  const specs = scratchDir('stdio-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [BIN, 'stdio', '--specs', specs, '--data', freshDataDir()], cwd: REPO, env: { ...(process.env as Record<string, string>), CI: 'true' }, stderr: 'pipe' }),
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await upstream?.close();
  removeScratchDirs();
});

it('lists the same tools as over HTTP', async () => {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(['shop_create_item', 'shop_delete_item', 'shop_export_all', 'shop_get_item', 'shop_get_item_image', 'shop_list_items', 'shop_slow']);
  expect(tools.find((t) => t.name === 'shop_get_item')!.annotations).toEqual({ readOnlyHint: true, idempotentHint: true });
});

it('calls tools through the pipeline', async () => {
  const got = (await client.callTool({ name: 'shop_get_item', arguments: { id: 'x/y' } })) as CallToolResult;
  expect(got.structuredContent).toEqual({ id: 'x/y', name: 'widget' });
  expect(upstream.seen.at(-1)!.url).toBe('/api/items/x%2Fy');
  const bad = (await client.callTool({ name: 'shop_create_item', arguments: {} })) as CallToolResult;
  expect(bad.isError).toBe(true);
  expect(bad.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/name: is required/) });
});
