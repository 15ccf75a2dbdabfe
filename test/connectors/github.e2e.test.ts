/**
 * The built-in GitHub connector, turned on as a user would: `specs/github.connector.yaml`
 * saying `use: github` and a GitHub Enterprise style base URL pointing at a loopback
 * upstream that speaks GitHub's dialect (its headers, Link pagination, rate-limit headers,
 * `{ message, documentation_url }` errors) and holds every request to the connector's spec.
 */
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { removeScratchDirs } from '../helpers/cli';
import { serveBuiltIn } from '../helpers/built-in-connector';
import type { ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { json } from '../helpers/upstream';
import { startSpecUpstream, type SpecUpstream } from '../helpers/spec-upstream';

const SPEC = path.join(__dirname, '..', '..', 'connectors', 'github', 'openapi.json');
const TOKEN = 'ghp_e2eTokenForTheLoopbackUpstream0000';
let upstream: SpecUpstream;
let hub: ServedHub;
const clients: Client[] = [];

function githubError(res: import('node:http').ServerResponse, status: number, message: string): void {
  json(res, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

function rateHeaders(remaining: number): Record<string, string> {
  return {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-resource': 'core',
    'x-github-media-type': 'github.v3; format=json',
  };
}

async function connect(query = ''): Promise<Client> {
  const client = new Client({ name: 'github-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.mcpUrl}${query}`)));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  upstream = await startSpecUpstream({
    spec: SPEC,
    basePath: '/api/v3',
    auth: (h) => {
      if (h.authorization !== `Bearer ${TOKEN}`) return `authorization is ${h.authorization === undefined ? 'missing' : 'not the connection token'}`;
      if (h['user-agent'] !== 'lunar-snake-hub') return 'GitHub refuses requests without its User-Agent';
      if (h['x-github-api-version'] !== '2022-11-28') return 'x-github-api-version is not 2022-11-28';
      return undefined;
    },
    error: githubError,
    routes: {
      'issues/list-for-repo': (req, res) => {
        const page = Number(req.query.get('page') ?? '1');
        const perPage = Number(req.query.get('per_page') ?? '30');
        const items = Array.from({ length: perPage }, (_, i) => ({ number: (page - 1) * perPage + i + 1, title: `Issue ${i}`, state: 'open' }));
        const next = `${upstream.url}/api/v3/repos/${req.params.owner}/${req.params.repo}/issues?per_page=${perPage}&page=${page + 1}`;
        json(res, 200, items, { ...rateHeaders(4990), link: `<${next}>; rel="next"` });
      },
      'issues/create': (req, res) => {
        const body = JSON.parse(req.body.toString('utf8')) as { title: string; labels?: string[] };
        json(res, 201, { number: 42, title: body.title, labels: (body.labels ?? []).map((name) => ({ name })), state: 'open' }, rateHeaders(4989));
      },
      'pulls/get': (req, res) =>
        Number(req.params.pull_number) === 404
          ? githubError(res, 404, 'Not Found')
          : json(res, 200, { number: Number(req.params.pull_number), title: 'Add a feature', state: 'open', merged: false }, rateHeaders(4988)),
      'search/issues-and-pull-requests': (req, res) => {
        const page = Number(req.query.get('page') ?? '1');
        const perPage = Number(req.query.get('per_page') ?? '30');
        const next = `${upstream.url}/api/v3/search/issues?q=${encodeURIComponent(req.query.get('q')!)}&per_page=${perPage}&page=${page + 1}`;
        const items = Array.from({ length: perPage }, (_, i) => ({ number: (page - 1) * perPage + i + 1, title: `found ${req.query.get('q')}` }));
        json(res, 200, { total_count: 50, incomplete_results: false, items }, { ...rateHeaders(29), link: `<${next}>; rel="next"` });
      },
      'users/get-authenticated': (_req, res) => json(res, 200, { login: 'octocat', id: 1, type: 'User' }, rateHeaders(4987)),
    },
  });
  ({ hub } = await serveBuiltIn('github', `use: github\nbaseUrl: ${upstream.url}/api/v3\n`, TOKEN));
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

afterEach(() => {
  expect(upstream.violations).toEqual([]);
});

it('lists the default toolsets at /mcp/github, and every tool for ?toolsets=github', async () => {
  const defaults = (await listAll(await connect('/github'))).map((t) => t.name);
  expect(defaults.length).toBeGreaterThan(30);
  expect(defaults.length).toBeLessThanOrEqual(60);
  expect(defaults).toEqual(expect.arrayContaining(['github_issues_create', 'github_pulls_get', 'github_search_issues', 'github_get_file_contents']));
  expect(defaults).not.toContain('github_actions_list_workflow_runs_for_repo');
  const all = (await listAll(await connect('?toolsets=github'))).map((t) => t.name);
  expect(all).toContain('github_actions_list_workflow_runs_for_repo');
  expect(
    (await listAll(await connect('?toolsets=github:actions'))).every((t) => t.name.startsWith('github_actions_') || t.name.startsWith('github_checks_')),
  ).toBe(true);
});

it('calls GitHub with the connection token, its User-Agent and API version, and maps its answers', async () => {
  const client = await connect('/github');
  const issues = await client.callTool({ name: 'github_issues_list_for_repo', arguments: { owner: 'octo', repo: 'hello', per_page: 2 } });
  expect(issues.isError).toBeFalsy();
  expect(JSON.parse((issues.content as Array<{ text: string }>)[0].text)).toHaveLength(2);

  const created = await client.callTool({
    name: 'github_issues_create',
    arguments: { owner: 'octo', repo: 'hello', title: 'Found a bug', labels: ['bug'] },
  });
  expect(created.isError).toBeFalsy();
  expect(created.structuredContent).toMatchObject({ number: 42, title: 'Found a bug' });

  const search = await client.callTool({ name: 'github_search_issues', arguments: { q: 'repo:octo/hello is:open label:bug' } });
  expect(search.structuredContent).toMatchObject({ total_count: 50 });

  // GitHub describes the user as oneOf a private and a public profile: no object schema, so the JSON comes as text.
  const me = await client.callTool({ name: 'github_users_get_authenticated', arguments: {} });
  expect(JSON.parse((me.content as Array<{ text: string }>)[0].text)).toMatchObject({ login: 'octocat' });
  expect(upstream.called).toEqual(
    expect.arrayContaining(['issues/list-for-repo', 'issues/create', 'search/issues-and-pull-requests', 'users/get-authenticated']),
  );
});

it('projects a result with _jmespath, and refuses a bad expression before anything is sent', async () => {
  const client = await connect('/github');
  const numbers = await client.callTool({
    name: 'github_issues_list_for_repo',
    arguments: { owner: 'octo', repo: 'hello', per_page: 3, _jmespath: '[].number' },
  });
  expect((numbers.content as Array<{ text: string }>)[0].text).toBe('[1,2,3]');
  // Under a shallow outputSchema the projection is the structured content too.
  const created = await client.callTool({ name: 'github_issues_create', arguments: { owner: 'octo', repo: 'hello', title: 'T', _jmespath: 'number' } });
  expect(created.structuredContent).toEqual({ 'lunar-hub/projection': 42 });

  const before = upstream.seen.length;
  const bad = await client.callTool({ name: 'github_issues_list_for_repo', arguments: { owner: 'octo', repo: 'hello', _jmespath: '[].{number' } });
  expect(bad.isError).toBe(true);
  expect((bad.content as Array<{ text: string }>)[0].text).toMatch(/HUB_ERR_CALL_PROJECTION.*_jmespath "\[\]\.\{number" is not a JMESPath expression/);
  expect(upstream.seen.length).toBe(before);
});

it('says how to get the next page (Link rel="next"), and follows pages with _pages, merging the items', async () => {
  const client = await connect('/github');
  const first = await client.callTool({ name: 'github_issues_list_for_repo', arguments: { owner: 'octo', repo: 'hello', per_page: 2 } });
  expect(first._meta?.['lunar-hub/next']).toEqual({ per_page: 2, page: 2 });
  expect((first.content as Array<{ text: string }>)[1].text).toBe(
    'More results: call github_issues_list_for_repo again with {"per_page":2,"page":2} added to its arguments for the next page.',
  );
  const second = await client.callTool({ name: 'github_issues_list_for_repo', arguments: { owner: 'octo', repo: 'hello', per_page: 2, page: 2 } });
  expect(JSON.parse((second.content as Array<{ text: string }>)[0].text).map((i: { number: number }) => i.number)).toEqual([3, 4]);

  const followed = await client.callTool({ name: 'github_issues_list_for_repo', arguments: { owner: 'octo', repo: 'hello', per_page: 2, _pages: 3 } });
  const text = (followed.content as Array<{ text: string }>).map((c) => c.text);
  expect(JSON.parse(text[0]).map((i: { number: number }) => i.number)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(text[1]).toBe('Followed 3 pages: 6 items.');
  expect(followed._meta?.['lunar-hub/next']).toEqual({ per_page: 2, page: 4 });
  // With a projection over the merged items.
  const numbers = await client.callTool({
    name: 'github_issues_list_for_repo',
    arguments: { owner: 'octo', repo: 'hello', per_page: 2, _pages: 2, _jmespath: '[].number' },
  });
  expect((numbers.content as Array<{ text: string }>)[0].text).toBe('[1,2,3,4]');
  // Search results keep their list in `items`: merged there, the rest of the body kept.
  const search = await client.callTool({ name: 'github_search_issues', arguments: { q: 'is:open', per_page: 1, _pages: 2 } });
  expect(search.structuredContent).toMatchObject({ total_count: 50, items: [{ number: 1 }, { number: 2 }] });
});

it("returns GitHub's own error message and status as a tool error", async () => {
  const client = await connect('/github');
  const missing = await client.callTool({ name: 'github_pulls_get', arguments: { owner: 'octo', repo: 'hello', pull_number: 404 } });
  expect(missing.isError).toBe(true);
  expect(JSON.stringify(missing.content)).toMatch(/404/);
  expect(JSON.stringify(missing.content)).toContain('Not Found');
});

it('refuses arguments the spec does not allow before anything is sent, and hides the arguments the connector leaves out', async () => {
  const client = await connect('/github');
  const before = upstream.seen.length;
  const bad = await client.callTool({ name: 'github_issues_update', arguments: { owner: 'octo', repo: 'hello', issue_number: 1, state: 'archived' } });
  expect(bad.isError).toBe(true);
  const hidden = await client.callTool({ name: 'github_issues_update', arguments: { owner: 'octo', repo: 'hello', issue_number: 1, issue_field_values: [] } });
  expect(hidden.isError).toBe(true);
  expect(JSON.stringify(hidden.content)).toContain('issue_field_values');
  expect(upstream.seen.length).toBe(before);
});
