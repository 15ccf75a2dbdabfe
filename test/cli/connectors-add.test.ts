/**
 * `lunar-hub connectors add FILE|URL`: a spec and a starter connector file into the specs
 * folder, from a file or found on a loopback server at the usual places; every failure exits
 * 1 naming the address and leaves the folder exactly as it was.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';
import { startUpstream, type Upstream } from '../helpers/upstream';

const TRACKER = path.join(REPO, 'docs', 'examples', 'tracker.yaml');
let server: Upstream;
/** A port that was free a moment ago, nobody listening on it. */
let closedPort: number;
let answers: Record<string, { status: number; type: string; body: string }> = {};

beforeAll(async () => {
  const probe = await startUpstream();
  closedPort = probe.port;
  await probe.close();
  server = await startUpstream({}, (req, res) => {
    const answer = answers[new URL(req.url, 'http://x').pathname];
    if (!answer) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
});

afterAll(async () => {
  await server.close();
  removeScratchDirs();
});

function folder(name: string): { dir: string; listing: () => string[] } {
  const dir = scratchDir(name);
  writeFileSync(path.join(dir, 'keep.txt'), 'already here\n');
  return { dir, listing: () => readdirSync(dir).sort() };
}

it('adds a spec file with a starter connector file that serve loads as it is', async () => {
  const { dir, listing } = folder('add-file');
  const result = await runCli(['connectors', 'add', TRACKER, '--specs', dir]);
  expect(result).toMatchObject({ code: 0 });
  expect(result.stdout).toContain('connector tracker, 8 tools');
  expect(listing()).toEqual(['keep.txt', 'tracker.connector.yaml', 'tracker.yaml']);
  const starter = readFileSync(path.join(dir, 'tracker.connector.yaml'), 'utf8');
  expect(starter).toContain('pagination:\n  style: cursor\n  param: after');
  expect(starter).toContain('toolsets:\n  tickets:');
  expect(starter).toContain('--connector tracker --kind bearer');
  const validated = await runCli(['validate', path.join(dir, 'tracker.yaml')]);
  expect(validated).toMatchObject({ code: 0 });
  expect(validated.stdout).toContain('0 errors');
  // Added twice: refused, nothing touched.
  const again = await runCli(['connectors', 'add', TRACKER, '--specs', dir]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('HUB_ERR_SPEC_EXISTS');
  expect(listing()).toEqual(['keep.txt', 'tracker.connector.yaml', 'tracker.yaml']);
});

it('makes a toolset of every tag, each name once, from tags and descriptions as loose as real specs have them', async () => {
  const { dir } = folder('add-tags');
  const spec = path.join(dir, '..', 'loose-tags.json');
  const op = (tag: string) => ({ tags: [tag], responses: { '200': { description: 'ok' } } });
  writeFileSync(
    spec,
    JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'Loose', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      tags: [{ name: 'Pull Requests', description: '\n\nPull requests and reviews\nmore' }, { name: 'pull-requests', description: 7 }, { name: 42 }],
      paths: { '/a': { get: op('Pull Requests') }, '/b': { get: op('pull-requests') }, '/c': { get: op('2024 archive') } },
    }),
  );
  const result = await runCli(['connectors', 'add', spec, '--specs', dir]);
  expect(result).toMatchObject({ code: 0 });
  const starter = readFileSync(path.join(dir, 'loose-tags.connector.yaml'), 'utf8');
  expect(starter).toContain('  pull_requests:\n    description: "Pull requests and reviews"\n    tags: ["Pull Requests"]');
  expect(starter).toContain('  pull_requests_2:\n    description: "Operations tagged pull-requests"\n    tags: ["pull-requests"]');
  expect(starter).toContain('  archive:\n');
});

it('finds a spec at the usual places of a URL, names the connector from its title and points the base URL at the host', async () => {
  const { dir, listing } = folder('add-url');
  const spec = readFileSync(TRACKER, 'utf8').replace('https://tracker.internal.example.com/api/v2', '/api/v2');
  answers = { '/v3/api-docs': { status: 200, type: 'application/yaml', body: spec } };
  const result = await runCli(['connectors', 'add', `${server.url}/docs`, '--specs', dir]);
  expect(result).toMatchObject({ code: 0 });
  expect(result.stderr).toContain(`found a spec at ${server.url}/v3/api-docs`);
  expect(listing()).toEqual(['keep.txt', 'tracker.connector.yaml', 'tracker.yaml']);
  expect(readFileSync(path.join(dir, 'tracker.connector.yaml'), 'utf8')).toContain(`baseUrl: ${server.url}/api/v2`);
});

it.each([
  ['not a URL', () => 'http://[::1', 'it is not a URL'],
  ['a server that holds no spec', () => `${server.url}/nothing`, '/openapi.json (HTTP 404)'],
  ['a port nobody listens on', () => `http://127.0.0.1:${closedPort}/`, 'ECONNREFUSED'],
])('exits 1 for %s, naming the address, and writes nothing', async (_what, address, reason) => {
  answers = {};
  const { dir, listing } = folder('add-bad');
  const result = await runCli(['connectors', 'add', address(), '--specs', dir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('HUB_ERR_SPEC_NOT_FOUND');
  expect(result.stderr).toContain(address());
  expect(result.stderr).toContain(reason);
  expect(listing()).toEqual(['keep.txt']);
});

it('exits 1 for a spec that does not parse, and writes nothing', async () => {
  answers = { '/openapi.yaml': { status: 200, type: 'application/yaml', body: 'openapi: 3.0.3\npaths: [unclosed\n' } };
  const { dir, listing } = folder('add-invalid');
  const result = await runCli(['connectors', 'add', server.url, '--specs', dir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/HUB_ERR_SPEC_PARSE/);
  expect(listing()).toEqual(['keep.txt']);
  // And a file that is not OpenAPI at all.
  const notSpec = path.join(dir, '..', 'not-a-spec.json');
  copyFileSync(path.join(REPO, 'package.json'), notSpec);
  const refused = await runCli(['connectors', 'add', notSpec, '--specs', dir]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('HUB_ERR_SPEC_NOT_OPENAPI');
  expect(listing()).toEqual(['keep.txt']);
});
