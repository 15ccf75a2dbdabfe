/**
 * The HTTP half wired into the running hub: `lunar-hub serve` as a real process, agents
 * of two tenants, a loopback upstream that caches, fails and limits. The stages have
 * their own suites beside them; this one checks they are in the call path, in order.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { removeScratchDirs, runCli, scratchDir, REPO } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let hub: ServedHub;
let data: string;
const keys: Record<string, string> = {};
const clients: Client[] = [];
/** Answers to give GET /notes/notes before a 200, one per request (503, 429...). */
const failures: number[] = [];
let posts = 0;
/** How long GET /notes/notes takes to answer (calls overlap meanwhile). */
let answerAfterMs = 0;
/** What GET /notes/notes says of caching. */
let cacheControl = 'private, max-age=60';
/** The Retry-After of a 429 from GET /notes/notes, in seconds. */
let retryAfter = '1';

const cli = async (args: string[], env: Record<string, string> = {}) => {
  const result = await runCli([...args, '--data', data], { env });
  if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'e2e-upstream', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

const notesRequests = () => upstream.seen.filter((r) => r.method === 'GET' && r.url.startsWith('/notes/notes')).length;

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /notes/notes': async (req, res) => {
      if (answerAfterMs > 0) await new Promise((r) => setTimeout(r, answerAfterMs));
      const failure = failures.shift();
      if (failure === 429) return void res.writeHead(429, { 'retry-after': retryAfter, 'content-type': 'application/json' }).end('{"message":"slow down"}');
      if (failure !== undefined) return json(res, failure, { message: 'try later' });
      // Each tenant's own answer, cacheable for a minute (private: it is the caller's data).
      res.setHeader('cache-control', cacheControl);
      json(res, 200, [{ owner: req.headers.authorization }]);
    },
    'POST /notes/notes': (_req, res) => {
      posts++;
      json(res, 503, { message: 'down' });
    },
  });
  data = freshDataDir();
  const specs = scratchDir('upstream-specs');
  copyFileSync(path.join(REPO, 'test', 'fixtures', 'specs', 'auth', 'notes.yaml'), path.join(specs, 'notes.yaml'));
  writeFileSync(path.join(specs, 'notes.connector.yaml'), `baseUrl: ${upstream.url}/notes\nretry:\n  attempts: 3\n  baseDelayMs: 10\n  maxDelayMs: 50\n`);
  for (const tenant of ['acme', 'globex']) {
    await cli(['tenants', 'add', tenant]);
    await cli(['connections', 'add', '--tenant', tenant, '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs], {
      SECRET: `${tenant}-token`,
    });
    keys[tenant] = (JSON.parse(await cli(['keys', 'create', '--tenant', tenant, '--name', 'bot', '--json'])) as { key: string }).key;
  }
  await cli(['admins', 'add', 'root'], { LUNAR_ADMIN_PASSWORD: 'upstream e2e password' });
  hub = await startServe(['--specs', specs, '--data', data], {}, { auth: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

const owner = (result: CallToolResult) => (JSON.parse((result.content[0] as { text: string }).text) as Array<{ owner: string }>)[0].owner;

/** An admin API call as root: the status and the parsed answer. */
async function apiCall(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<{ status: number; body: unknown }> {
  const login = await request(`${hub.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'root', password: 'upstream e2e password' }),
  });
  const { token } = (await login.body.json()) as { token: string };
  const response = await request(`${hub.url}/api${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
  });
  return { status: response.statusCode, body: await response.body.json() };
}

/** The same, expecting a 200. */
async function api(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<unknown> {
  const { status, body } = await apiCall(method, path, payload);
  expect(status).toBe(200);
  return body;
}

async function purge(scope: Record<string, unknown>): Promise<void> {
  await api('POST', '/cache/purge', scope);
}

it("caches a tenant's GET for that tenant only, and an admin purge drops it", async () => {
  const acme = await connect(keys.acme);
  const globex = await connect(keys.globex);
  const before = notesRequests();
  expect(owner((await acme.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult)).toBe('Bearer acme-token');
  expect(owner((await acme.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult)).toBe('Bearer acme-token');
  expect(notesRequests()).toBe(before + 1); // the second came from the cache
  expect(owner((await globex.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult)).toBe('Bearer globex-token');
  expect(notesRequests()).toBe(before + 2); // never acme's cached answer

  await purge({ tenant: 'acme' });
  await acme.callTool({ name: 'notes_list_notes', arguments: {} });
  expect(notesRequests()).toBe(before + 3);
  await globex.callTool({ name: 'notes_list_notes', arguments: {} });
  expect(notesRequests()).toBe(before + 3); // globex's entry was not purged
});

it('a purge whose fields are mistyped or missing is refused, never read as "purge everything"', async () => {
  const acme = await connect(keys.acme);
  await acme.callTool({ name: 'notes_list_notes', arguments: {} });
  const before = notesRequests();
  for (const [payload, said] of [
    [{ tenant: 5 }, /tenant must be a non-empty string/],
    [{ connectorId: 'notes' }, /unknown field "connectorId"/],
    [{}, /name what to purge/],
    [{ all: 'yes' }, /all must be true/],
    [{ all: true, tenant: 'acme' }, /all: true purges everything/],
  ] as const) {
    const { status, body } = await apiCall('POST', '/cache/purge', payload);
    expect([status, (body as { error?: { code?: string; message?: string } }).error?.code]).toEqual([400, 'HUB_ERR_API_BAD_REQUEST']);
    expect((body as { error: { message: string } }).error.message).toMatch(said);
  }
  // acme's entry is still there.
  await acme.callTool({ name: 'notes_list_notes', arguments: {} });
  expect(notesRequests()).toBe(before);
});

it('admin API bodies: a user, tenant or label of the wrong type is a 400 naming it, never read as "not given"', async () => {
  const base = { tenant: 'acme', connector: 'notes', kind: 'bearer', credential: { token: 'typed-token' } };
  for (const [payload, said] of [
    [{ ...base, user: 42 }, /user must be a non-empty string/],
    [{ ...base, tenant: ['acme'] }, /tenant must be a non-empty string/],
    [{ ...base, label: 7 }, /label must be a string/],
  ] as const) {
    const { status, body } = await apiCall('POST', '/connections', payload);
    expect(status).toBe(400);
    expect((body as { error: { message: string } }).error.message).toMatch(said);
  }
  const keys = await apiCall('POST', '/keys', { tenant: 'acme', name: 'typed', user: 42 });
  expect(keys.status).toBe(400);
  // Nothing was created by the refused calls.
  const list = (await api('GET', '/connections?tenant=acme')) as unknown[];
  expect(list).toHaveLength(1);
});

it('retries an idempotent call through 503 and 429 (honouring Retry-After), never a POST without an idempotency key', async () => {
  const acme = await connect(keys.acme);
  await purge({ all: true });
  failures.push(503, 429);
  const before = notesRequests();
  const started = Date.now();
  const result = (await acme.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
  expect(result.isError).toBeFalsy();
  expect(notesRequests()).toBe(before + 3);
  expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited the Retry-After of 1 s
  const post = (await acme.callTool({ name: 'notes_add_note', arguments: { text: 'x' } })) as CallToolResult;
  expect(post.isError).toBe(true);
  expect(posts).toBe(1);
});

it("identical calls in flight at once share one upstream request; another tenant's never joins them", async () => {
  const acme = await connect(keys.acme);
  const globex = await connect(keys.globex);
  await purge({ all: true });
  answerAfterMs = 300;
  // Not cacheable: only sharing in flight can save requests here.
  cacheControl = 'no-store';
  try {
    const before = notesRequests();
    const results = (await Promise.all([
      ...Array.from({ length: 5 }, () => acme.callTool({ name: 'notes_list_notes', arguments: {} })),
      globex.callTool({ name: 'notes_list_notes', arguments: {} }),
    ])) as CallToolResult[];
    expect(results.slice(0, 5).map(owner)).toEqual(Array(5).fill('Bearer acme-token'));
    expect(owner(results[5])).toBe('Bearer globex-token');
    expect(notesRequests()).toBe(before + 2);
  } finally {
    answerAfterMs = 0;
    cacheControl = 'private, max-age=60';
  }
});

// Last: it leaves globex's connection held for two minutes.
it('a connection test goes through the limiter: while the upstream asked to be left alone it is not sent, and says why', async () => {
  const globex = await connect(keys.globex);
  const [connection] = (await api('GET', '/connections?tenant=globex')) as Array<{ id: string }>;
  const before = notesRequests();
  const fine = (await api('POST', `/connections/${connection.id}/test?tenant=globex`)) as { ok: boolean; status?: number };
  expect(fine).toMatchObject({ ok: true, status: 200 });
  // The cache held globex's list: the test asked the upstream anyway.
  expect(notesRequests()).toBe(before + 1);

  await purge({ all: true });
  retryAfter = '120';
  failures.push(429);
  const limited = (await globex.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
  expect(limited.isError).toBe(true);
  expect(limited._meta).toMatchObject({ 'lunar-hub/retry-after': 120 });
  const sent = notesRequests();
  const held = (await api('POST', `/connections/${connection.id}/test?tenant=globex`)) as { ok: boolean; detail: string };
  expect(held.ok).toBe(false);
  expect(held.detail).toMatch(/^HUB_ERR_RATE_LIMITED: .*asked to wait 120 s/);
  expect(notesRequests()).toBe(sent);
});
