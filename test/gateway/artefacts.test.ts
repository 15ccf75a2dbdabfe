/**
 * `serve --generated DIR`: `lunar-hub generate`'s artefacts rebuild the connector
 * loadConnector builds from the spec, stale artefacts fall back to the spec, and a hub
 * started from them serves and calls tools.
 */
import { copyFileSync, cpSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pino, { type Logger } from 'pino';
import { loadArtefactsOrSpec, loadConnectorFromArtefacts } from '../../gateway/registry/load-artefacts';
import { loadConnector } from '../../gateway/registry/load-connector';
import { httpToolOf, type ServedConnector } from '../../gateway/core';
import { Registry } from '../../gateway/registry/registry';
import { removeScratchDirs, runCli, scratchDir } from '../helpers/cli';
import { startServe } from '../helpers/hub-process';
import { REAL_SPECS } from '../helpers/real-specs';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

afterAll(removeScratchDirs);

/** What the pipeline sees of a connector: tools (with bindings and operations), runtime, config, problems, skipped. */
function expectSameConnector(fromArtefacts: ServedConnector, fromSpec: ServedConnector): void {
  expect(fromArtefacts.tools.map((t) => t.tool)).toEqual(fromSpec.tools.map((t) => t.tool));
  const http = (c: ServedConnector) => c.tools.map((t) => httpToolOf({ registered: t }));
  expect(http(fromArtefacts).map((t) => t.binding)).toEqual(http(fromSpec).map((t) => t.binding));
  expect(http(fromArtefacts).map((t) => t.operation)).toEqual(http(fromSpec).map((t) => t.operation));
  expect(fromArtefacts.runtime).toEqual(fromSpec.runtime);
  expect(fromArtefacts).toEqual(fromSpec);
  // Byte for byte too: nothing is lost or reordered on the way through the JSON files.
  expect(JSON.stringify(fromArtefacts)).toBe(JSON.stringify(fromSpec));
}

async function generate(spec: string, out: string): Promise<void> {
  const result = await runCli(['generate', spec, '--out', out, '--no-client']);
  expect(result.stderr).toMatch(/generated 1 connectors/);
  expect(result.code).toBe(0);
}

function recordingLog(): { log: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const log = { warn: (fields: Record<string, unknown>) => warnings.push(fields) } as unknown as Logger;
  return { log, warnings };
}

const SHOP_CONNECTOR = `baseUrl: http://127.0.0.1:9/api
allowedHosts: [files.example.com]
timeouts: { connectMs: 2000 }
headers: { User-Agent: artefact-test }
tags: { exclude: [ops] }
tools:
  getItem: { name: fetch_item, title: Fetch one item }
  exportAll: { description: "never served, so this is a warning" }
`;

describe('loadConnectorFromArtefacts on the shop spec with a connector file', () => {
  let specs: string;
  let spec: string;
  let out: string;

  beforeAll(async () => {
    specs = scratchDir('artefacts-shop');
    spec = path.join(specs, 'shop.yaml');
    out = path.join(specs, 'generated');
    copyFileSync(fixture('e2e/shop.yaml'), spec);
    writeFileSync(path.join(specs, 'shop.connector.yaml'), SHOP_CONNECTOR);
    await generate(spec, out);
  }, 60_000);

  it('writes what a start without the spec needs into connector.json', () => {
    const artefact = JSON.parse(readFileSync(path.join(out, 'shop', 'connector.json'), 'utf8'));
    expect(Object.keys(artefact)).toEqual(
      expect.arrayContaining(['connectorId', 'file', 'api', 'bindings', 'operations', 'skipped', 'spec', 'generation', 'serversDeclared', 'index']),
    );
    expect(artefact.spec).toMatchObject({
      file: spec,
      bytes: statSync(spec).size,
      mtimeMs: statSync(spec).mtimeMs,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      externalRefs: false,
    });
    expect(artefact.generation).toEqual({ includeDeprecated: false, outputSchema: 'shallow' });
  });

  it('builds the same connector as loadConnector, connector file applied', async () => {
    const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'));
    expect(loaded.source).toBe('artefacts');
    const fromSpec = await loadConnector(spec);
    expect(loaded.connector.tools.map((t) => t.tool.name)).toEqual([
      'shop_list_items',
      'shop_create_item',
      'shop_fetch_item',
      'shop_delete_item',
      'shop_get_item_image',
    ]);
    expect(loaded.connector.problems.map((p) => p.rule)).toEqual(['connector-override-unused']);
    expectSameConnector(loaded.connector, fromSpec);
  });

  it('applies a connector file edited after generate, without generating again', async () => {
    const file = path.join(specs, 'shop.connector.yaml');
    writeFileSync(file, `${SHOP_CONNECTOR.replace('fetch_item', 'read_item')}maxResponseBytes: 1000\n`);
    try {
      const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'), { specFile: spec });
      expect(loaded.source).toBe('artefacts');
      expect(loaded.connector.tools.map((t) => t.tool.name)).toContain('shop_read_item');
      expect(loaded.connector.runtime.maxResponseBytes).toBe(1000);
      expectSameConnector(loaded.connector, await loadConnector(spec));
    } finally {
      writeFileSync(file, SHOP_CONNECTOR);
    }
  });

  it('serves a copy of the spec elsewhere (a moved project) from the same artefacts, with the connector file beside the copy', async () => {
    const moved = scratchDir('artefacts-moved');
    const copy = path.join(moved, 'shop.yaml');
    copyFileSync(spec, copy);
    writeFileSync(path.join(moved, 'shop.connector.yaml'), SHOP_CONNECTOR.replace('fetch_item', 'moved_item'));
    const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'), { specFile: copy });
    expect(loaded.source).toBe('artefacts');
    expect(loaded.connector.specFile).toBe(copy);
    expect(loaded.connector.tools.map((t) => t.tool.name)).toContain('shop_moved_item');
    expectSameConnector(loaded.connector, await loadConnector(copy));

    writeFileSync(copy, `${readFileSync(spec, 'utf8')}\n`.replace('Get an item', 'Get an ITEM'));
    expect(await loadArtefactsOrSpec(path.join(out, 'shop'), { specFile: copy })).toMatchObject({
      source: 'spec',
      reason: expect.stringMatching(/changed since generate/),
    });
  });

  it('refuses a bad connector file with the same error as loadConnector', async () => {
    const file = path.join(specs, 'shop.connector.yaml');
    writeFileSync(file, `${SHOP_CONNECTOR}operations: { include: [nope] }\n`);
    try {
      const expected = await loadConnector(spec).catch((e: Error) => e);
      expect(expected).toMatchObject({ code: 'HUB_ERR_CONFIG_CONNECTOR' });
      await expect(loadConnectorFromArtefacts(path.join(out, 'shop'))).rejects.toThrow(expected as Error);
    } finally {
      writeFileSync(file, SHOP_CONNECTOR);
    }
  });

  it('loads the spec, with a warning, when the connector file asks for other generation options', async () => {
    const file = path.join(specs, 'shop.connector.yaml');
    writeFileSync(file, `${SHOP_CONNECTOR}outputSchema: full\n`);
    try {
      const { log, warnings } = recordingLog();
      const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'), { log });
      expect(loaded).toMatchObject({ source: 'spec', reason: expect.stringMatching(/outputSchema shallow, the connector file says full/) });
      expect(warnings).toEqual([expect.objectContaining({ file: spec, reason: expect.stringMatching(/outputSchema/) })]);
      expectSameConnector(loaded.connector, await loadConnector(spec));
    } finally {
      writeFileSync(file, SHOP_CONNECTOR);
    }
  });

  it('reads connector.json of the format written before this one as "generate again", not as a crash', async () => {
    const old = path.join(out, 'old-shop');
    cpSync(path.join(out, 'shop'), old, { recursive: true });
    const { connectorId, file, api, bindings, operations, skipped } = JSON.parse(readFileSync(path.join(old, 'connector.json'), 'utf8'));
    writeFileSync(path.join(old, 'connector.json'), JSON.stringify({ connectorId, file, api, bindings, operations, skipped }));
    const loaded = await loadArtefactsOrSpec(old, { specFile: spec });
    expect(loaded).toMatchObject({ source: 'spec', reason: expect.stringMatching(/not of the format this hub reads.*generate/) });
    expectSameConnector(loaded.connector, await loadConnector(spec));
  });

  it('falls back to the spec when no artefact was generated for it, and refuses a folder with no spec to fall back on', async () => {
    const { log, warnings } = recordingLog();
    const loaded = await loadArtefactsOrSpec(path.join(out, 'nothing-here'), { specFile: spec, log });
    expect(loaded).toMatchObject({ source: 'spec', reason: expect.stringMatching(/no .*connector\.json/) });
    expect(warnings).toHaveLength(1);
    expectSameConnector(loaded.connector, await loadConnector(spec));
    await expect(loadConnectorFromArtefacts(path.join(out, 'nothing-here'))).rejects.toMatchObject({ code: 'HUB_ERR_CONFIG_USAGE' });
  });
});

describe('a stale artefact', () => {
  let specs: string;
  let spec: string;
  let out: string;

  beforeEach(async () => {
    specs = scratchDir('artefacts-stale');
    spec = path.join(specs, 'shop.yaml');
    out = path.join(specs, 'generated');
    copyFileSync(fixture('e2e/shop.yaml'), spec);
    writeFileSync(path.join(specs, 'shop.connector.yaml'), 'baseUrl: http://127.0.0.1:9/api\n');
    await generate(spec, out);
  }, 60_000);

  it('is not used once the spec changed: the spec is loaded, with a warning', async () => {
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('summary: Get an item', 'summary: Get one item, changed'));
    const { log, warnings } = recordingLog();
    const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'), { log });
    expect(loaded).toMatchObject({ source: 'spec', reason: expect.stringMatching(/the spec changed since generate/) });
    expect(warnings).toHaveLength(1);
    expect(loaded.connector.tools.find((t) => t.tool.name === 'shop_get_item')!.tool.title).toBe('Get one item, changed');
    expectSameConnector(loaded.connector, await loadConnector(spec));
  });

  it('is not used when the spec changed but kept its size (the content hash tells)', async () => {
    const text = readFileSync(spec, 'utf8');
    writeFileSync(spec, text.replace('summary: Get an item', 'summary: Get an iTEM'));
    expect(statSync(spec).size).toBe(Buffer.byteLength(text));
    const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'));
    expect(loaded).toMatchObject({ source: 'spec', reason: expect.stringMatching(/modified, same size/) });
    expect(loaded.connector.tools.find((t) => t.tool.name === 'shop_get_item')!.tool.title).toBe('Get an iTEM');
  });

  it('is still used when the spec was only touched (same bytes, new mtime)', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(spec, later, later);
    const loaded = await loadArtefactsOrSpec(path.join(out, 'shop'));
    expect(loaded.source).toBe('artefacts');
    expectSameConnector(loaded.connector, await loadConnector(spec));
  });

  it("is not used for a spec that is gone; the error is the spec reader's", async () => {
    const gone = path.join(specs, 'gone.yaml');
    copyFileSync(spec, gone);
    await generate(gone, out);
    rmSync(gone);
    const expected = await loadConnector(gone).catch((e: Error) => e);
    await expect(loadConnectorFromArtefacts(path.join(out, 'gone'))).rejects.toThrow(expected as Error);
  }, 60_000);
});

describe("GitHub's full spec", () => {
  it('gives the same tools, bindings and runtime from artefacts as from the spec', async () => {
    const out = scratchDir('artefacts-github');
    await generate(REAL_SPECS.github, out);
    const loaded = await loadArtefactsOrSpec(path.join(out, 'api-github-com'));
    expect(loaded.source).toBe('artefacts');
    const fromSpec = await loadConnector(REAL_SPECS.github);
    expect(loaded.connector.tools).toHaveLength(1186);
    expectSameConnector(loaded.connector, fromSpec);
  }, 120_000);
});

describe('the registry with generatedDir', () => {
  it('loads a spec from its artefacts at start, and from the spec once it changes', async () => {
    const specs = scratchDir('artefacts-registry');
    const out = scratchDir('artefacts-registry-out');
    const spec = path.join(specs, 'shop.yaml');
    copyFileSync(fixture('e2e/shop.yaml'), spec);
    writeFileSync(path.join(specs, 'shop.connector.yaml'), 'baseUrl: http://127.0.0.1:9/api\n');
    copyFileSync(fixture('circular-3.1.json'), path.join(specs, 'trees.json')); // no artefact: loaded from the spec
    writeFileSync(path.join(specs, 'trees.connector.yaml'), 'baseUrl: http://127.0.0.1:9/api\n');
    await generate(spec, out);

    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString('utf8'))), done()) });
    const registry = new Registry({ specsDir: specs, log: pino({ level: 'info' }, sink), generatedDir: out });
    try {
      await registry.start();
      const loaded = () => lines.filter((l) => l.msg === 'spec loaded').map((l) => [path.basename(String(l.file)), l.source]);
      expect(loaded()).toEqual([
        ['shop.yaml', 'artefacts'],
        ['trees.json', 'spec'],
      ]);
      expect(lines.find((l) => l.msg === 'generated artefact not used; loading the spec')).toMatchObject({
        file: path.join(specs, 'trees.json'),
        reason: expect.stringMatching(/no .*connector\.json/),
      });
      expectSameConnector(registry.current.connectors.get('shop')!, { ...(await loadConnector(spec)), source: 'specs' });

      lines.length = 0;
      writeFileSync(spec, readFileSync(spec, 'utf8').replace('summary: Get an item', 'summary: Get an item, edited'));
      await registry.rescan();
      expect(loaded()).toEqual([['shop.yaml', 'spec']]);
      expect(registry.current.byName.get('shop_get_item')!.tool.title).toBe('Get an item, edited');
    } finally {
      registry.close();
    }
  }, 60_000);
});

describe('lunar-hub serve --generated', () => {
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream({
      'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget', price: 3 }),
    });
  });
  afterAll(() => upstream.close());

  it('serves the tools from the artefacts and calls the upstream', async () => {
    const specs = scratchDir('artefacts-serve');
    const out = scratchDir('artefacts-serve-out');
    copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
    writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\ntools:\n  getItem: { name: fetch_item }\n`);
    await generate(path.join(specs, 'shop.yaml'), out);

    const hub = await startServe(['--specs', specs, '--generated', out]);
    try {
      await hub.waitForStderr(/"source":"artefacts"[^\n]*"msg":"spec loaded"/);
      const client = new Client({ name: 'artefacts-e2e', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        'shop_create_item',
        'shop_delete_item',
        'shop_export_all',
        'shop_fetch_item',
        'shop_get_item_image',
        'shop_list_items',
        'shop_slow',
      ]);
      const result = (await client.callTool({ name: 'shop_fetch_item', arguments: { id: 'a/b' } })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ id: 'a/b', name: 'widget', price: 3 });
      expect(upstream.seen.at(-1)!.url).toBe('/api/items/a%2Fb');
      await client.close();
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  }, 90_000);

  it('still serves a spec changed since generate, from the spec, and says so', async () => {
    const specs = scratchDir('artefacts-serve-stale');
    const out = scratchDir('artefacts-serve-stale-out');
    const spec = path.join(specs, 'shop.yaml');
    copyFileSync(fixture('e2e/shop.yaml'), spec);
    writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
    await generate(spec, out);
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('summary: Get an item', 'summary: Get an item (new)'));

    const hub = await startServe(['--specs', specs, '--generated', out]);
    try {
      await hub.waitForStderr(/"reason":"the spec changed since generate[^\n]*"msg":"generated artefact not used; loading the spec"/);
      await hub.waitForStderr(/"source":"spec"[^\n]*"msg":"spec loaded"/);
      const client = new Client({ name: 'artefacts-e2e', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'shop_get_item')!.title).toBe('Get an item (new)');
      const result = (await client.callTool({ name: 'shop_get_item', arguments: { id: '5' } })) as CallToolResult;
      expect(result.structuredContent).toEqual({ id: '5', name: 'widget', price: 3 });
      await client.close();
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  }, 90_000);

  it('refuses a --generated folder that does not exist', async () => {
    const result = await runCli([
      'serve',
      '--port',
      '0',
      '--specs',
      scratchDir('artefacts-none'),
      '--generated',
      path.join(scratchDir('artefacts-none-out'), 'missing'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HUB_ERR_CONFIG_USAGE: --generated .*missing: no such folder/);
  });
});
