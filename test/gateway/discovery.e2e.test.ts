/**
 * Dynamic discovery through `lunar-hub serve`: with `?tools=dynamic` a session lists three
 * meta-tools whatever the hub serves (here all of GitHub's REST API, 1,186 tools, and the
 * Notion connector), finds tools by plain-language search, reads one in full, and calls it
 * through the same pipeline, authorisation and audit as a direct call.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { removeScratchDirs, runCli, scratchDir } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { REAL_SPECS } from '../helpers/real-specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let hub: ServedHub;
let data: string;
const keys: Record<string, string> = {};
const clients: Client[] = [];

const cli = async (args: string[], env: Record<string, string> = {}) => {
  const result = await runCli([...args, '--data', data], { env });
  if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
};

async function connect(key: string, query = '?tools=dynamic'): Promise<Client> {
  const client = new Client({ name: 'discovery-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.mcpUrl}${query}`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

const structured = <T>(result: { structuredContent?: unknown }) => result.structuredContent as T;

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /repos/*/*/pulls/*': (req, res) => json(res, 200, { number: Number(req.url.split('/').pop()), title: 'A change', state: 'open' }),
  });
  const specs = scratchDir('discovery-specs');
  writeFileSync(path.join(specs, 'github.connector.yaml'), `use: github\nspec: ${REAL_SPECS.github}\nbaseUrl: ${upstream.url}\n`);
  writeFileSync(path.join(specs, 'notion.connector.yaml'), `use: notion\nbaseUrl: ${upstream.url}\n`);
  data = freshDataDir();
  await cli(['tenants', 'add', 'acme']);
  await cli(['connections', 'add', '--tenant', 'acme', '--connector', 'github', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs], {
    SECRET: 'ghp_x',
  });
  const key = async (name: string, extra: string[] = []) =>
    (JSON.parse(await cli(['keys', 'create', '--tenant', 'acme', '--name', name, '--json', ...extra])) as { key: string }).key;
  keys.all = await key('all');
  keys.issues = await key('issues-only', ['--toolsets', 'github:issues']);
  hub = await startServe(['--specs', specs, '--data', data], {}, { auth: true });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('lists only search_tools, describe_tool and call_tool, in under 3 KB', async () => {
  const client = await connect(keys.all);
  const listed = await client.listTools();
  expect(listed.tools.map((t) => t.name)).toEqual(['search_tools', 'describe_tool', 'call_tool']);
  expect(Buffer.byteLength(JSON.stringify(listed))).toBeLessThan(3000);
});

it('finds tools in plain words, among every tool (not only the default sets), and describes one in full', async () => {
  const client = await connect(keys.all);
  const search = async (query: string, extra: Record<string, unknown> = {}) =>
    structured<{ tools: Array<{ name: string; summary: string; connector: string }> }>(
      await client.callTool({ name: 'search_tools', arguments: { query, ...extra } }),
    ).tools;
  expect((await search('list the pull requests of a repository'))[0].name).toBe('github_pulls_list');
  // Actions is no default toolset; dynamic discovery reaches it anyway.
  expect((await search('re-run a failed workflow run')).slice(0, 3).map((h) => h.name)).toContain('github_actions_re_run_workflow');
  expect((await search('search pages', { connector: 'notion' })).every((h) => h.connector === 'notion')).toBe(true);
  await expect(client.callTool({ name: 'search_tools', arguments: { query: 'issue '.repeat(200) } })).rejects.toThrow(/at most 500/);
  await expect(client.callTool({ name: 'describe_tool', arguments: { name: 'github_no_such_tool' } })).rejects.toThrow(/Unknown tool: github_no_such_tool/);
  const described = structured<{ name: string; inputSchema: { properties: Record<string, unknown> }; _meta: Record<string, unknown> }>(
    await client.callTool({ name: 'describe_tool', arguments: { name: 'github_pulls_get' } }),
  );
  expect(Object.keys(described.inputSchema.properties)).toEqual(expect.arrayContaining(['owner', 'repo', 'pull_number']));
  expect(described._meta['lunar-hub/operation']).toEqual({ method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}' });
});

it('calls a tool through call_tool as a direct call would be made, and audits it under its own name', async () => {
  const client = await connect(keys.all);
  const result = await client.callTool({
    name: 'call_tool',
    arguments: { name: 'github_pulls_get', arguments: { owner: 'octo', repo: 'hello', pull_number: 7 } },
  });
  expect(result.isError).toBeFalsy();
  expect(JSON.parse((result.content as Array<{ text: string }>)[0].text)).toMatchObject({ number: 7 });
  expect(upstream.seen.at(-1)!.headers.authorization).toBe('Bearer ghp_x');
  const invalid = await client.callTool({ name: 'call_tool', arguments: { name: 'github_pulls_get', arguments: { owner: 'octo' } } });
  expect(invalid.isError).toBe(true);
  expect(JSON.stringify(invalid.content)).toContain('HUB_ERR_CALL_ARGUMENTS');
  // The audit names the tool that ran, not call_tool.
  await new Promise((r) => setTimeout(r, 1500));
  const audited = JSON.parse(await cli(['audit', '--tenant', 'acme', '--json'])) as Array<{ tool?: string }>;
  expect(audited.filter((e) => e.tool === 'github_pulls_get').length).toBeGreaterThanOrEqual(2);
  expect(audited.filter((e) => e.tool === 'call_tool')).toEqual([]);
});

it("refuses through call_tool exactly what a direct call would: a tool outside the key's toolsets", async () => {
  const client = await connect(keys.issues);
  const hits = structured<{ tools: Array<{ name: string }> }>(
    await client.callTool({ name: 'search_tools', arguments: { query: 'get a pull request' } }),
  ).tools;
  // Only what the key may call: GitHub's issues toolset (its operations are all issues/*).
  expect(hits.length).toBeGreaterThan(0);
  expect(hits.filter((h) => !h.name.startsWith('github_issues_'))).toEqual([]);
  const viaMeta = await client.callTool({ name: 'call_tool', arguments: { name: 'github_pulls_get', arguments: { owner: 'o', repo: 'r', pull_number: 1 } } });
  const direct = await client.callTool({ name: 'github_pulls_get', arguments: { owner: 'o', repo: 'r', pull_number: 1 } });
  expect(viaMeta.isError).toBe(true);
  expect(viaMeta.content).toEqual(direct.content);
  expect(JSON.stringify(viaMeta.content)).toContain('HUB_ERR_AUTH_FORBIDDEN');
});
