/**
 * Built-in connectors switched on by configuration alone: `lunar-hub serve --connectors todo`
 * with LUNAR_CONNECTORS_DIR pointing at a connectors folder serves that connector's tools
 * beside the specs folder's, and an id with no folder is a failure /healthz names.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { removeScratchDirs, scratchDir } from '../helpers/cli';
import { startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';

const CONNECTORS = path.join(__dirname, '..', 'fixtures', 'connectors');
let hub: ServedHub | undefined;

afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

afterAll(() => removeScratchDirs());

it('serves the enabled built-in connectors and only those', async () => {
  hub = await startServe(['--specs', scratchDir('empty-specs'), '--connectors', 'todo'], { LUNAR_CONNECTORS_DIR: CONNECTORS });
  const client = new Client({ name: 'built-ins', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
  const names = (await listAll(client)).map((t) => t.name);
  await client.close();
  expect(names.length).toBeGreaterThan(0);
  expect(names.every((n) => n.startsWith('todo_'))).toBe(true);
});

it('reports an enabled id that has no folder, with the nearest names', async () => {
  hub = await startServe(['--specs', scratchDir('empty-specs-2'), '--connectors', 'tood'], { LUNAR_CONNECTORS_DIR: CONNECTORS });
  const health = (await (await fetch(`${hub.url}/healthz`)).json()) as { failures: Array<{ code: string; message: string }> };
  expect(health.failures).toContainEqual(expect.objectContaining({ code: 'HUB_ERR_CONFIG_CONNECTOR_ID', message: expect.stringMatching(/tood.*todo/) }));
});
