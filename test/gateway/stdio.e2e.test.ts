/** `lunar-hub stdio` as a real process, driven by the SDK's Client over the stdio transport. */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';
import { BIN, freshDataDir } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let client: Client;
let data: string;
let stderr = '';

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget' }),
    'POST /api/items': (req, res) => json(res, 201, { id: '1', ...JSON.parse(req.body.toString('utf8')) }),
  });
  const specs = scratchDir('stdio-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
  data = freshDataDir();
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'stdio', '--specs', specs, '--data', data], cwd: REPO, env: { ...(process.env as Record<string, string>), CI: 'true' }, stderr: 'pipe' });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await client.connect(transport);
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

it('audits every call over stdio (issue 14, 12): the entries are in the store, as the default tenant and the stdio agent', async () => {
  await client.callTool({ name: 'shop_get_item', arguments: { id: 'audited' } });
  await client.callTool({ name: 'shop_create_item', arguments: {} });
  const read = async () => {
    const result = await runCli(['audit', '--tenant', 'default', '--tool', 'shop_get_item', '--data', data, '--json']);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  };
  let entries = await read();
  for (let tries = 0; entries.length < 2 && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    entries = await read();
  }
  // Two shop_get_item calls so far (the earlier test's and this one's), each with its outcome and upstream status.
  expect(entries.map((e) => [e.action, e.actorKind, e.actorId, e.tool, e.outcome, e.upstreamStatus])).toEqual([
    ['tool.call', 'agent', 'stdio', 'shop_get_item', 'ok', 200],
    ['tool.call', 'agent', 'stdio', 'shop_get_item', 'ok', 200],
  ]);
  const refused = JSON.parse((await runCli(['audit', '--tenant', 'default', '--tool', 'shop_create_item', '--data', data, '--json'])).stdout) as Array<Record<string, unknown>>;
  expect(refused.map((e) => [e.outcome, e.detail])).toEqual([
    ['tool_error', 'HUB_ERR_CALL_ARGUMENTS'],
    ['tool_error', 'HUB_ERR_CALL_ARGUMENTS'],
  ]);
  expect(stderr).not.toContain('audit entry not written');
});
