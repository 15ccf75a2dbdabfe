/**
 * A tool whose names were transliterated (`/ünïcode/{ключ}` -> `…_get_unicode_by_klyuch`
 * with the argument `klyuch`), called through `lunar-hub serve` with the SDK's client:
 * the upstream gets the spec's own path and parameter names, not the tool's.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { removeScratchDirs, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let hub: ServedHub;
let client: Client;

beforeAll(async () => {
  upstream = await startUpstream({}, (req, res) => json(res, 200, { ключ: 'ok' }));
  const specs = scratchDir('non-ascii-specs');
  copyFileSync(fixture('unicode-3.0.yaml'), path.join(specs, 'intl.yaml'));
  writeFileSync(path.join(specs, 'intl.connector.yaml'), `baseUrl: ${upstream.url}/v1\n`);
  hub = await startServe(['--specs', specs]);
  client = new Client({ name: 'non-ascii', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
}, 90_000);

afterAll(async () => {
  await client?.close();
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('lists the transliterated tool with its argument, each naming the original', async () => {
  const tool = (await listAll(client)).find((t) => t.name === 'intl_get_unicode_by_klyuch');
  expect(tool).toBeDefined();
  expect(tool!.description).toContain('/ünïcode/{ключ}');
  expect(tool!.inputSchema.properties).toMatchObject({
    klyuch: { description: '(path parameter "ключ")' },
    grosse: { description: expect.stringContaining('"größe"') },
  });
});

it('sends /ünïcode/<value> with the real query parameter', async () => {
  const result = (await client.callTool({ name: 'intl_get_unicode_by_klyuch', arguments: { klyuch: 'schlüssel 1', grosse: 3 } })) as CallToolResult;
  expect(result.isError).toBeFalsy();
  const seen = upstream.seen.at(-1)!;
  const url = new URL(seen.url, 'http://x');
  expect(decodeURIComponent(url.pathname)).toBe('/v1/ünïcode/schlüssel 1');
  expect([...url.searchParams]).toEqual([['größe', '3']]);
});

it('sends a transliterated body property under its real name', async () => {
  await client.callTool({ name: 'intl_send_grusse', arguments: { empfanger: 'Ada', text: 'hallo' } });
  const seen = upstream.seen.at(-1)!;
  expect(seen.method).toBe('POST');
  expect(decodeURIComponent(seen.url)).toBe('/v1/grüße');
  expect(JSON.parse(seen.body.toString('utf8'))).toEqual({ empfänger: 'Ada', text: 'hallo' });
});

it('refuses an empty path argument before anything is sent, as the schema says', async () => {
  const before = upstream.seen.length;
  const result = (await client.callTool({ name: 'intl_get_unicode_by_klyuch', arguments: { klyuch: '' } })) as CallToolResult;
  expect(result.isError).toBe(true);
  expect(JSON.stringify(result.content)).toMatch(/HUB_ERR_CALL_ARGUMENTS.*klyuch/);
  expect(upstream.seen.length).toBe(before);
});
