/**
 * Named toolsets and the default set through `lunar-hub serve`, as a user writes them in a
 * connector file: what each URL lists, and that a tool outside a session's view is unknown
 * to it while it stays callable where it is asked for.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { removeScratchDirs, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let hub: ServedHub;
const clients: Client[] = [];

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'toolsets-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return client;
}

async function listed(query: string): Promise<string[]> {
  return (await listAll(await connect(`${hub.mcpUrl}${query}`))).map((t) => t.name).sort();
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items': (_req, res) => json(res, 200, [{ id: '1', name: 'one' }]),
    'GET /api/items/*': (req, res) => json(res, 200, { id: req.url.split('/').pop(), name: 'one', price: 3 }),
  });
  const specs = scratchDir('toolsets-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(
    path.join(specs, 'shop.connector.yaml'),
    [
      `baseUrl: ${upstream.url}/api`,
      'toolsets:',
      '  browse:',
      '    description: Reading the catalogue',
      '    operations: [listItems, getItem]',
      '  manage: { operations: [createItem, deleteItem] }',
      '  pictures: { tags: [media] }',
      'defaultToolsets: [browse]',
      '',
    ].join('\n'),
  );
  hub = await startServe(['--specs', specs]);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('lists the default set at /mcp and /mcp/<id>, everything for ?toolsets=<id>, and toolsets by name or tag', async () => {
  expect(await listed('')).toEqual(['shop_get_item', 'shop_list_items']);
  expect(await listed('/shop')).toEqual(['shop_get_item', 'shop_list_items']);
  expect(await listed('?toolsets=shop')).toHaveLength(7);
  expect(await listed('?toolsets=shop:manage,shop:pictures')).toEqual(['shop_create_item', 'shop_delete_item', 'shop_get_item_image']);
  // `ops` names no toolset: it is the OpenAPI tag.
  expect(await listed('/shop?toolsets=shop:ops')).toEqual(['shop_export_all', 'shop_slow']);
});

it('answers a call outside the default set as an unknown tool, and serves it where it is asked for', async () => {
  const plain = await connect(hub.mcpUrl);
  await expect(plain.callTool({ name: 'shop_delete_item', arguments: { id: '1' } })).rejects.toThrow(/shop_delete_item/);
  const browse = await connect(`${hub.mcpUrl}?toolsets=shop`);
  const result = await browse.callTool({ name: 'shop_get_item', arguments: { id: '7' } });
  expect(result.isError).toBeFalsy();
  expect(upstream.seen.filter((r) => r.method === 'DELETE')).toHaveLength(0);
});
