/**
 * Every built-in connector in connectors/: its tools generate from its committed spec with
 * valid names and schemas; its default set and each toolset stay within what an agent's
 * context should carry (at most 60 tools and 50 KB of tools/list); an extracted spec is
 * what the extraction script makes from the package it names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConnector, type LoadedConnector } from '../../gateway/registry';
import { MCP_TOOL_NAME, schemaFailures } from '../helpers/specs';

const CONNECTORS = path.join(__dirname, '..', '..', 'connectors');
const MAX_TOOLS = 60;
const MAX_LIST_BYTES = 50_000;
const IDS = readdirSync(CONNECTORS).filter((id) => existsSync(path.join(CONNECTORS, id, 'connector.yaml')));

const loaded = new Map<string, LoadedConnector>();
async function connector(id: string): Promise<LoadedConnector> {
  if (!loaded.has(id)) {
    const file = path.join(CONNECTORS, id, 'connector.yaml');
    const spec = /^spec:\s*(\S+)/m.exec(readFileSync(file, 'utf8'))![1];
    loaded.set(id, await loadConnector(path.join(CONNECTORS, id, spec), { configFile: file, id }));
  }
  return loaded.get(id)!;
}

function listBytes(tools: LoadedConnector['tools']): number {
  return Buffer.byteLength(JSON.stringify({ tools: tools.map((t) => t.tool) }));
}

it('ships the connectors the docs name', () => {
  expect(IDS).toEqual(expect.arrayContaining(['github', 'notion']));
});

describe.each(IDS)('%s', (id) => {
  it('generates tools with valid names and schemas, and no errors in its spec', async () => {
    const c = await connector(id);
    expect(c.tools.length).toBeGreaterThan(0);
    expect(c.tools.filter((t) => !MCP_TOOL_NAME.test(t.tool.name) || !t.tool.name.startsWith(`${id}_`))).toEqual([]);
    expect(new Set(c.tools.map((t) => t.tool.name)).size).toBe(c.tools.length);
    expect(schemaFailures(c.tools.map((t) => t.tool))).toEqual([]);
    expect(c.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(c.problems.filter((p) => p.rule.startsWith('connector-'))).toEqual([]);
    // Every tool is in a toolset, so that an agent can ask for any of them by name.
    expect(c.tools.filter((t) => t.toolsets?.length === 0).map((t) => t.tool.name)).toEqual([]);
  });

  it(`keeps the default set and each toolset within ${MAX_TOOLS} tools and ${MAX_LIST_BYTES} bytes of tools/list`, async () => {
    const c = await connector(id);
    const groups: Array<[string, LoadedConnector['tools']]> = [['(default set)', c.tools.filter((t) => t.inDefault)]];
    for (const name of Object.keys(c.config.toolsets)) groups.push([name, c.tools.filter((t) => t.toolsets?.includes(name))]);
    const over = groups
      .map(([name, tools]) => ({ name, tools: tools.length, bytes: listBytes(tools) }))
      .filter((g) => g.tools === 0 || g.tools > MAX_TOOLS || g.bytes > MAX_LIST_BYTES);
    expect(over).toEqual([]);
  });

  it('describes every toolset', async () => {
    const c = await connector(id);
    const undescribed = Object.entries(c.config.toolsets).filter(([, t]) => !t.description);
    expect(undescribed.map(([name]) => name)).toEqual([]);
    expect(c.config.defaultToolsets?.length).toBeGreaterThan(0);
  });
});

it('commits each extracted spec exactly as the extraction script writes it from the package it names', () => {
  const extracted = IDS.filter((id) => existsSync(path.join(CONNECTORS, id, 'extract.json')));
  expect(extracted.length).toBeGreaterThan(0);
  const out = execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'extract-connector-spec.js'), '--check', ...extracted], {
    encoding: 'utf8',
  });
  expect(out.trim().split('\n')).toHaveLength(extracted.length);
  for (const id of extracted) {
    const source = (JSON.parse(readFileSync(path.join(CONNECTORS, id, 'openapi.json'), 'utf8')) as { info: Record<string, unknown> }).info[
      'x-lunar-hub-source'
    ];
    expect(source).toMatchObject({ package: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/), file: expect.any(String) });
  }
});
