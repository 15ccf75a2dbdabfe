/**
 * Issue 4 end to end: `lunar-hub serve` as a real process with agent keys at /mcp, the
 * SDK's real Client over Streamable HTTP, a real upstream on loopback that records what
 * it receives, the admin verbs and REST API, and a real OAuth authorisation server
 * (oidc-provider in its own process) driven over HTTP without a browser.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { removeScratchDirs, runCli, scratchDir, REPO } from '../helpers/cli';
import { BIN, freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { approveDeviceCode, loginAndConsent, startOidcServer, type OidcServer } from '../helpers/oidc';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'specs', 'auth');
const ADMIN_PASSWORD = 'correct horse battery staple';
const TENANT_ADMIN_PASSWORD = 'acme admin password 1';
const SECRETS = {
  acmeNotes: 'acme-notes-token-Q7x',
  globexNotes: 'globex-notes-token-Z9k',
  aliceNotes: 'alice-own-notes-token-M3p',
  acmeCrm: 'acme-crm-key-W2v',
  wikiPassword: 'wiki-pass-R8n',
  clientSecret: 'hub-client-secret-T5j',
};

let upstream: Upstream;
let oidc: OidcServer;
let hub: ServedHub;
let data: string;
let specs: string;
/** Access tokens the upstream refuses with 401 (as if revoked or expired at the API). */
const refused = new Set<string>();
const keys: Record<string, string> = {};
const clients: Client[] = [];

const cli = async (args: string[], env: Record<string, string> = {}) => {
  const result = await runCli([...args, '--data', data], { env });
  if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
};

async function connect(key: string | undefined, url = hub.mcpUrl): Promise<Client> {
  const client = new Client({ name: 'e2e-auth', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: key ? { authorization: `Bearer ${key}` } : {} } }));
  clients.push(client);
  return client;
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
const lastSeen = (prefix: string) => [...upstream.seen].reverse().find((r) => r.url.startsWith(prefix))!;

async function api(
  method: string,
  route: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: any }> /* eslint-disable-line @typescript-eslint/no-explicit-any -- each test reads the fields of its own route */ {
  const response = await request(`${hub.url}/api${route}`, {
    method: method as 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const raw = await response.body.text();
  return { status: response.statusCode, body: raw ? JSON.parse(raw) : undefined };
}

async function login(username: string, password: string): Promise<string> {
  const response = await request(`${hub.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await response.body.json()) as { token: string };
  expect(response.statusCode).toBe(200);
  return body.token;
}

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('never happened');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForTool(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const health = (await (await request(`${hub.url}/healthz`)).body.json()) as { connectors: Array<{ id: string }>; failures: unknown[] };
    if (health.connectors.some((c) => name.startsWith(`${c.id}_`))) return;
    if (Date.now() > deadline) throw new Error(`${name} never appeared: ${JSON.stringify(health)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /notes/notes': (req, res) =>
      req.headers.authorization === 'Bearer bad-token' ? json(res, 401, { message: 'Bad credentials' }) : json(res, 200, [{ text: 'hello' }]),
    'POST /notes/notes': (req, res) => json(res, 201, { ok: true }),
    'GET /notes/status': (_req, res) => json(res, 200, { ok: true }),
    'GET /crm/contacts': (_req, res) => json(res, 200, []),
    'GET /wiki/pages': (_req, res) => json(res, 200, []),
    'GET /cloud/files': (req, res) => {
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!token || refused.has(token)) return json(res, 401, { message: 'Bad credentials' });
      json(res, 200, [{ name: 'report.pdf' }]);
    },
  });
  data = freshDataDir();
  specs = scratchDir('auth-specs');
  for (const name of ['notes', 'crm', 'wiki']) {
    copyFileSync(path.join(FIXTURES, `${name}.yaml`), path.join(specs, `${name}.yaml`));
  }
  writeFileSync(path.join(specs, 'notes.connector.yaml'), `baseUrl: ${upstream.url}/notes\n`);
  writeFileSync(path.join(specs, 'crm.connector.yaml'), `baseUrl: ${upstream.url}/crm\n`);
  // The wiki's spec declares no securitySchemes (like GitHub's): the connector file says how it authenticates.
  writeFileSync(path.join(specs, 'wiki.connector.yaml'), `baseUrl: ${upstream.url}/wiki\nauth:\n  type: basic\n`);

  await cli(['tenants', 'add', 'acme']);
  await cli(['tenants', 'add', 'globex']);
  await cli(['admins', 'add', 'root'], { LUNAR_ADMIN_PASSWORD: ADMIN_PASSWORD });
  await cli(['admins', 'add', 'acme-admin', '--tenant', 'acme'], { LUNAR_ADMIN_PASSWORD: TENANT_ADMIN_PASSWORD });
  const key = async (name: string, extra: string[] = []) =>
    (JSON.parse(await cli(['keys', 'create', '--name', name, '--json', ...extra])) as { key: string }).key;
  keys.acme = await key('acme-bot', ['--tenant', 'acme']);
  keys.globex = await key('globex-bot', ['--tenant', 'globex']);
  keys.alice = await key('alice-bot', ['--tenant', 'acme', '--user', 'alice']);
  keys.bob = await key('bob-bot', ['--tenant', 'acme', '--user', 'bob']);
  keys.readOnly = await key('reader', ['--tenant', 'acme', '--read-only']);
  keys.notesOnly = await key('notes-only', ['--tenant', 'acme', '--toolsets', 'notes']);
  keys.expired = await key('expired', ['--tenant', 'acme', '--expires', '2020-01-01T00:00:00Z']);
  const secret = (value: string) => ({ SECRET: value });
  await cli(
    ['connections', 'add', '--tenant', 'acme', '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs],
    secret(SECRETS.acmeNotes),
  );
  await cli(
    ['connections', 'add', '--tenant', 'globex', '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs],
    secret(SECRETS.globexNotes),
  );
  await cli(
    ['connections', 'add', '--tenant', 'acme', '--user', 'alice', '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs],
    secret(SECRETS.aliceNotes),
  );
  await cli(
    ['connections', 'add', '--tenant', 'acme', '--connector', 'crm', '--kind', 'api_key', '--secret-env', 'SECRET', '--specs', specs],
    secret(SECRETS.acmeCrm),
  );
  await cli(
    ['connections', 'add', '--tenant', 'acme', '--connector', 'wiki', '--kind', 'basic', '--username', 'acme', '--secret-env', 'SECRET', '--specs', specs],
    secret(SECRETS.wikiPassword),
  );

  hub = await startServe(['--specs', specs, '--data', data], { LOG_LEVEL: 'debug' }, { auth: true });
  // The authorisation server knows the hub's callback only now that the hub has a port.
  oidc = await startOidcServer({
    clients: [
      {
        client_id: 'hub',
        client_secret: SECRETS.clientSecret,
        redirect_uris: [`${hub.url}/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      },
    ],
    scopes: ['files'],
    accessTokenTtl: 12,
  });
  copyFileSync(path.join(FIXTURES, 'cloud.yaml'), path.join(specs, 'cloud.yaml'));
  writeFileSync(
    path.join(specs, 'cloud.connector.yaml'),
    `baseUrl: ${upstream.url}/cloud\nauth:\n  scheme: oauth\n  issuer: ${oidc.issuer}\n  scopes: [openid, files]\n`,
  );
  await waitForTool('cloud_list_files');
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await oidc?.stop();
  await upstream?.close();
  removeScratchDirs();
});

describe('the front door', () => {
  it('refuses /mcp without a key, with a bearer challenge and a JSON-RPC error that says how to get one', async () => {
    const response = await request(hub.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    const body = (await response.body.json()) as { error: { message: string; data: { code: string } } };
    expect(body.error.data.code).toBe('HUB_ERR_AUTH_UNAUTHENTICATED');
    expect(body.error.message).toContain('lunar-hub keys create');
    await expect(connect(undefined)).rejects.toThrow(/401|Unauthorized|key/i);
    await expect(connect('lsh_not-a-real-key-at-all-000000000000000000000')).rejects.toThrow();
  });

  it('refuses an expired key', async () => {
    await expect(connect(keys.expired)).rejects.toThrow();
  });

  it('a read-only key sees and calls only read-only tools; a toolset key only its toolsets', async () => {
    const reader = await connect(keys.readOnly);
    const names = (await listAll(reader)).map((t) => t.name);
    expect(names).toContain('notes_list_notes');
    expect(names).not.toContain('notes_add_note');
    // Issue 14 item 14: a read-only key is told why it may not, not that the tool is unknown; nothing goes upstream.
    const before = upstream.seen.length;
    const refused = (await reader.callTool({ name: 'notes_add_note', arguments: { text: 'x' } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(refused._meta?.['lunar-hub/code']).toBe('HUB_ERR_AUTH_FORBIDDEN');
    expect(text(refused)).toMatch(/notes_add_note may not be called by agent \S+ of tenant "acme": the key is read-only and this tool changes data/);
    expect(upstream.seen.length).toBe(before);
    await expect(reader.callTool({ name: 'notes_lst_notes', arguments: {} })).rejects.toThrow(/Unknown tool: notes_lst_notes; did you mean notes_list_notes/);
    const notesOnly = await connect(keys.notesOnly);
    expect(new Set((await listAll(notesOnly)).map((t) => t.name.split('_')[0]))).toEqual(new Set(['notes']));
  });
});

describe('front-door quotas', () => {
  it('a key over its calls per minute gets a result that says when to call again; nothing goes upstream', async () => {
    const { key } = JSON.parse(await cli(['keys', 'create', '--tenant', 'acme', '--name', 'metered', '--calls-per-minute', '2', '--json'])) as { key: string };
    const client = await connect(key);
    // Windows are whole minutes: five calls meet the quota of two even if a minute turns meanwhile.
    let over: CallToolResult | undefined;
    let before = 0;
    for (let i = 0; i < 5 && !over?.isError; i++) {
      before = upstream.seen.length;
      over = (await client.callTool({ name: 'notes_status', arguments: {} })) as CallToolResult;
    }
    expect(over!.isError).toBe(true);
    over = over!;
    expect(text(over)).toMatch(
      /HUB_ERR_QUOTA_EXCEEDED: Agent \S+ of tenant "acme" used its 2 calls per minute\. Nothing was sent upstream; try again in \d+ seconds \(after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\./,
    );
    expect(over._meta?.['lunar-hub/retry-after']).toEqual(expect.any(Number));
    expect(upstream.seen.length).toBe(before);
  });

  it("a tenant's quota holds for all its agents and applies at once when an admin sets it", async () => {
    const admin = await login('root', ADMIN_PASSWORD);
    expect((await api('POST', '/tenants/globex/quota', admin, { callsPerMinute: 1 })).body).toMatchObject({ name: 'globex', callsPerMinute: 1 });
    try {
      const client = await connect(keys.globex);
      const results = (await Promise.all([1, 2, 3].map(() => client.callTool({ name: 'notes_list_notes', arguments: {} })))) as CallToolResult[];
      const refused = results.filter((r) => r.isError).map((r) => text(r));
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused[0]).toContain('Tenant "globex" used its 1 calls per minute');
    } finally {
      await api('POST', '/tenants/globex/quota', admin, { callsPerMinute: null });
    }
  });
});

describe('whose credentials go upstream', () => {
  it('each tenant its own connection; the agent key never reaches the upstream', async () => {
    const acme = await connect(keys.acme);
    expect((await acme.callTool({ name: 'notes_list_notes', arguments: {} })).isError).toBeFalsy();
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.acmeNotes}`);
    const globex = await connect(keys.globex);
    expect((await globex.callTool({ name: 'notes_list_notes', arguments: {} })).isError).toBeFalsy();
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.globexNotes}`);
    const everyHeader = upstream.seen.flatMap((r) => Object.values(r.headers).flat().map(String)).join('\n');
    expect(everyHeader).not.toContain('lsh_');
  });

  it('apiKey in the query, HTTP basic from the connector file, nothing where an operation says security: []', async () => {
    const acme = await connect(keys.acme);
    await acme.callTool({ name: 'crm_list_contacts', arguments: {} });
    expect(new URL(lastSeen('/crm/contacts').url, 'http://x').searchParams.get('api_key')).toBe(SECRETS.acmeCrm);
    await acme.callTool({ name: 'wiki_list_pages', arguments: {} });
    expect(lastSeen('/wiki/pages').headers.authorization).toBe(`Basic ${Buffer.from(`acme:${SECRETS.wikiPassword}`).toString('base64')}`);
    await acme.callTool({ name: 'notes_status', arguments: {} });
    expect(lastSeen('/notes/status').headers.authorization).toBeUndefined();
  });

  it('a missing connection is a result that says which and how to create it; no request goes out', async () => {
    const globex = await connect(keys.globex);
    const before = upstream.seen.length;
    const result = (await globex.callTool({ name: 'crm_list_contacts', arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('HUB_ERR_CRED_MISSING');
    expect(text(result)).toContain('lunar-hub connections add --tenant globex --connector crm --kind api_key');
    expect(upstream.seen.length).toBe(before);
  });

  it("a user's own connection first; the tenant's only once an admin shares it", async () => {
    const alice = await connect(keys.alice);
    await alice.callTool({ name: 'notes_list_notes', arguments: {} });
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.aliceNotes}`);
    const bob = await connect(keys.bob);
    const refusedCall = (await bob.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
    expect(refusedCall.isError).toBe(true);
    expect(text(refusedCall)).toContain('not shared with its users');
    const admin = await login('root', ADMIN_PASSWORD);
    const tenantConnection = (await api('GET', '/connections?tenant=acme&connector=notes', admin)).body.find(
      (c: { userId: string | null }) => c.userId === null,
    );
    expect((await api('POST', `/connections/${tenantConnection.id}/share?tenant=acme`, admin, { shared: true })).status).toBe(200);
    const shared = (await bob.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
    expect(shared.isError).toBeFalsy();
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.acmeNotes}`);

    const aliceEntry = await eventually(async () =>
      ((await api('GET', '/audit?tenant=acme&tool=notes_list_notes', admin)).body as Array<Record<string, unknown>>).find(
        (e) => e.credentialOwner === 'user:alice',
      ),
    );
    const audit = (await api('GET', '/audit?tenant=acme&tool=notes_list_notes', admin)).body as Array<Record<string, unknown>>;
    expect(aliceEntry).toMatchObject({ action: 'tool.call', outcome: 'ok', upstreamStatus: 200, actorKind: 'agent' });
    expect(audit.find((e) => e.credentialOwner === 'tenant' && e.connectionId === tenantConnection.id)).toBeDefined();
  });

  it('revoking a key stops it at the next request, inside an open session', async () => {
    const { key, id } = JSON.parse(await cli(['keys', 'create', '--tenant', 'acme', '--name', 'temp', '--json'])) as { key: string; id: string };
    const client = await connect(key);
    expect((await client.callTool({ name: 'notes_status', arguments: {} })).isError).toBeFalsy();
    await cli(['keys', 'revoke', id, '--tenant', 'acme']);
    await expect(client.callTool({ name: 'notes_status', arguments: {} })).rejects.toThrow();
  });

  it('another agent cannot use a session by its id alone', async () => {
    const acme = await connect(keys.acme);
    const sessionId = (acme.transport as StreamableHTTPClientTransport).sessionId!;
    const response = await request(hub.mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${keys.globex}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'notes_list_notes', arguments: {} } }),
    });
    expect(response.statusCode).toBe(404);
    await response.body.dump();
  });
});

describe('testing a connection', () => {
  it('calls one read-only operation with it, through the API and the CLI', async () => {
    const admin = await login('root', ADMIN_PASSWORD);
    const notes = (await api('GET', '/connections?tenant=acme&connector=notes', admin)).body.find((c: { userId: string | null }) => c.userId === null);
    const before = upstream.seen.length;
    const report = await api('POST', `/connections/${notes.id}/test?tenant=acme`, admin);
    expect(report).toMatchObject({ status: 200, body: { ok: true, tool: 'notes_list_notes', status: 200 } });
    expect(upstream.seen.slice(before).map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([`GET /notes/notes Bearer ${SECRETS.acmeNotes}`]);

    const bad = await api('POST', '/connections', admin, {
      tenant: 'globex',
      user: 'xavier',
      connector: 'notes',
      kind: 'bearer',
      credential: { token: 'bad-token' },
    });
    const failed = await runCli(['connections', 'test', bad.body.id, '--tenant', 'globex', '--specs', specs, '--data', data, '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, status: 401, detail: expect.stringContaining('Bad credentials') });
    const actions = (await api('GET', '/audit?tenant=globex&action=connection.test', admin)).body;
    expect(actions[0]).toMatchObject({ connectionId: bad.body.id, outcome: 'error', detail: 'upstream 401' });
  });
});

describe('tenant isolation through the admin API', () => {
  it("a tenant's admin sees its own tenant only; agent keys are not admin credentials", async () => {
    const acmeAdmin = await login('acme-admin', TENANT_ADMIN_PASSWORD);
    expect((await api('GET', '/connections?tenant=globex', acmeAdmin)).status).toBe(404);
    expect((await api('GET', '/keys?tenant=globex', acmeAdmin)).status).toBe(404);
    expect((await api('GET', '/audit?tenant=globex', acmeAdmin)).status).toBe(404);
    const own = await api('GET', '/audit', acmeAdmin);
    expect(own.status).toBe(200);
    const acmeId = (await api('GET', '/tenants', acmeAdmin)).body.map((t: { id: string }) => t.id);
    expect(acmeId).toHaveLength(1);
    expect(own.body.every((e: { tenantId: string }) => e.tenantId === acmeId[0])).toBe(true);
    expect((await api('POST', '/tenants', acmeAdmin, { name: 'sneaky' })).status).toBe(403);
    const globexConnection = (await api('GET', '/connections?tenant=globex', await login('root', ADMIN_PASSWORD))).body[0];
    expect((await api('POST', `/connections/${globexConnection.id}/revoke?tenant=acme`, acmeAdmin)).status).toBe(404);
    expect((await api('POST', `/connections/${globexConnection.id}/revoke`, acmeAdmin)).status).toBe(404);
    expect((await api('GET', '/connections', keys.acme)).status).toBe(401);
    expect((await api('GET', '/connections')).status).toBe(401);
  });

  it('refuses a wrong password and a missing field with coded errors, and audits admin actions', async () => {
    const wrong = await request(`${hub.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: 'nope' }),
    });
    expect(wrong.statusCode).toBe(401);
    expect(((await wrong.body.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_AUTH_UNAUTHENTICATED');
    const admin = await login('root', ADMIN_PASSWORD);
    const bad = await api('POST', '/connections', admin, { tenant: 'acme', connector: 'notes', kind: 'bearer', credential: {} });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'HUB_ERR_API_BAD_REQUEST', message: expect.stringContaining('token must be a non-empty string') } },
    });
    const badDate = await api('GET', '/audit?since=yesterday', admin);
    expect(badDate.status).toBe(400);
    const broken = await request(`${hub.url}/api/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: '{"name": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(((await broken.body.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_API_BAD_REQUEST');
    const brokenLogin = await request(`${hub.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(brokenLogin.statusCode).toBe(400);
    await brokenLogin.body.dump();
    const actions = (await api('GET', '/audit?tenant=acme&limit=1000', admin)).body.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.share', 'connection.create', 'key.create', 'key.revoke']));
  });
});

describe('OAuth connections against a real authorisation server', () => {
  let admin: string;
  let connectionId: string;
  const grants = (type: string) => oidc.grants().filter((g) => g.event === 'grant.success' && g.grantType === type).length;

  beforeAll(async () => {
    admin = await login('root', ADMIN_PASSWORD);
    const app = await api('POST', '/oauth-apps', admin, {
      tenant: 'acme',
      connector: 'cloud',
      clientId: 'hub',
      clientSecret: SECRETS.clientSecret,
      scopes: ['openid', 'files'],
      redirectUri: `${hub.url}/oauth/callback`,
    });
    expect(app.status).toBe(201);
    expect(JSON.stringify(app.body)).not.toContain(SECRETS.clientSecret);
  });

  it('authorization code + PKCE through the admin API and /oauth/callback; the token goes upstream', async () => {
    const started = await api('POST', '/connections/oauth', admin, { tenant: 'acme', connector: 'cloud' });
    expect(started.status).toBe(201);
    const authorizationUrl = new URL(started.body.authorizationUrl);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    connectionId = started.body.connectionId;
    const callback = await loginAndConsent(started.body.authorizationUrl);
    const finished = await request(`${hub.url}/oauth/callback${callback.search}`);
    expect(finished.statusCode).toBe(200);
    expect(await finished.body.text()).toContain('is ready');
    // The same callback again: the state was usable once.
    const replay = await request(`${hub.url}/oauth/callback${callback.search}`);
    expect(replay.statusCode).toBe(400);
    expect(await replay.body.text()).toContain('HUB_ERR_OAUTH_CALLBACK');

    const acme = await connect(keys.acme);
    const result = (await acme.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(lastSeen('/cloud/files').headers.authorization).toMatch(/^Bearer \S+/);
  });

  it('a callback with an unknown state or an error from the server is refused and stores nothing', async () => {
    const unknown = await request(`${hub.url}/oauth/callback?code=abc&state=never-issued`);
    expect(unknown.statusCode).toBe(400);
    expect(await unknown.body.text()).toContain('unknown, expired or already used');
    const denied = await request(`${hub.url}/oauth/callback?error=access_denied&error_description=user+said+no&state=x`);
    expect(denied.statusCode).toBe(400);
    expect(await denied.body.text()).toContain('access_denied');
  });

  it('a 401 from the upstream earns exactly one refresh and one retry', async () => {
    const acme = await connect(keys.acme);
    const token = lastSeen('/cloud/files').headers.authorization!.slice('Bearer '.length);
    refused.add(token);
    const before = grants('refresh_token');
    const result = (await acme.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(grants('refresh_token')).toBe(before + 1);
    expect(lastSeen('/cloud/files').headers.authorization).not.toBe(`Bearer ${token}`);
  });

  it('100 concurrent calls on an expiring token cause exactly one refresh', async () => {
    const acme = await connect(keys.acme);
    // Tokens live 12 s here; within half of that the hub renews ahead of expiry. The new
    // token is fresh for 6 s more, ample for the 100 calls on a loaded machine.
    await new Promise((r) => setTimeout(r, 7000));
    const before = grants('refresh_token');
    const seenBefore = upstream.seen.length;
    const results = (await Promise.all(Array.from({ length: 100 }, () => acme.callTool({ name: 'cloud_list_files', arguments: {} })))) as CallToolResult[];
    expect(results.filter((r) => r.isError)).toEqual([]);
    expect(grants('refresh_token')).toBe(before + 1);
    // Identical reads in flight together share requests (dedupe.ts): however many were sent, all carried the one new token.
    const sent = upstream.seen.slice(seenBefore).filter((r) => r.url.startsWith('/cloud/files'));
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent.map((r) => r.headers.authorization)).size).toBe(1);
  }, 40_000);

  it('a refresh the server refuses marks the connection needs_reauth, says so plainly, and a reconnect heals it', async () => {
    // A wrong client secret makes the next refresh fail with invalid_client.
    await api('POST', '/oauth-apps', admin, {
      tenant: 'acme',
      connector: 'cloud',
      clientId: 'hub',
      clientSecret: 'wrong-secret',
      scopes: ['openid', 'files'],
      redirectUri: `${hub.url}/oauth/callback`,
    });
    refused.add(lastSeen('/cloud/files').headers.authorization!.slice('Bearer '.length));
    const acme = await connect(keys.acme);
    const result = (await acme.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('HUB_ERR_CRED_NEEDS_REAUTH');
    expect(text(result)).toContain(`lunar-hub connections reconnect ${connectionId}`);
    const listed = (await api('GET', '/connections?tenant=acme&connector=cloud', admin)).body.find((c: { id: string }) => c.id === connectionId);
    expect(listed.status).toBe('needs_reauth');

    await api('POST', '/oauth-apps', admin, {
      tenant: 'acme',
      connector: 'cloud',
      clientId: 'hub',
      clientSecret: SECRETS.clientSecret,
      scopes: ['openid', 'files'],
      redirectUri: `${hub.url}/oauth/callback`,
    });
    const again = await api('POST', `/connections/${connectionId}/reconnect?tenant=acme`, admin);
    expect(again.status).toBe(200);
    const callback = await loginAndConsent(again.body.authorizationUrl);
    expect((await request(`${hub.url}/oauth/callback${callback.search}`)).statusCode).toBe(200);
    expect(((await acme.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult).isError).toBeFalsy();
  }, 30_000);

  it('an admin on a terminal: `connections connect --device` shows a code, waits for approval, saves the connection', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'connections', 'connect', '--tenant', 'acme', '--connector', 'cloud', '--user', 'gina', '--device', '--specs', specs, '--data', data, '--json'],
      { cwd: REPO, env: { ...process.env, CI: 'true' } },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    const code = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        const match = /enter the code (\S+)/.exec(stderr);
        if (match) resolve(match[1]);
      });
      child.once('exit', (status) => reject(new Error(`connect exited ${status} before showing a code: ${stderr}`)));
    });
    await approveDeviceCode(oidc.issuer, code);
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(status).toBe(0);
    const made = JSON.parse(stdout) as { id: string; status: string };
    expect(made.status).toBe('active');
    const gina = (await cli(['keys', 'create', '--tenant', 'acme', '--user', 'gina', '--name', 'gina-bot', '--json'])).match(/"key": "([^"]+)"/)![1];
    const client = await connect(gina);
    expect(((await client.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult).isError).toBeFalsy();
    // Audit entries are written just after the result goes out: poll briefly.
    const audited = await eventually(async () =>
      (await api('GET', '/audit?tenant=acme&tool=cloud_list_files&limit=50', admin)).body.find((e: { connectionId: string }) => e.connectionId === made.id),
    );
    expect(audited).toMatchObject({ credentialOwner: 'user:gina', outcome: 'ok', upstreamStatus: 200 });
  }, 30_000);

  it("`connections reconnect` prints a fresh authorization URL that the hub's callback completes", async () => {
    const printed = await cli(['connections', 'reconnect', connectionId, '--tenant', 'acme', '--specs', specs]);
    const url = /https?:\/\/\S+/.exec(printed)![0];
    const callback = await loginAndConsent(url);
    expect((await request(`${hub.url}/oauth/callback${callback.search}`)).statusCode).toBe(200);
  });

  it('client credentials: a tenant connection without a user in the loop', async () => {
    const connection = await api('POST', '/connections/oauth', admin, { tenant: 'globex', connector: 'cloud', flow: 'client_credentials' });
    // No OAuth app registered for globex yet: named, not a crash.
    expect(connection).toMatchObject({ status: 400, body: { error: { code: 'HUB_ERR_OAUTH_APP' } } });
    await api('POST', '/oauth-apps', admin, {
      tenant: 'globex',
      connector: 'cloud',
      clientId: 'hub',
      clientSecret: SECRETS.clientSecret,
      scopes: ['files'],
      redirectUri: `${hub.url}/oauth/callback`,
    });
    const made = await api('POST', '/connections/oauth', admin, { tenant: 'globex', connector: 'cloud', flow: 'client_credentials' });
    expect(made).toMatchObject({ status: 201, body: { status: 'active', kind: 'oauth2', hasSecret: true } });
    const globex = await connect(keys.globex);
    expect(((await globex.callTool({ name: 'cloud_list_files', arguments: {} })) as CallToolResult).isError).toBeFalsy();
  });
});

describe('secrets at rest and in logs', () => {
  it('no plaintext secret in the store files, the logs or the audit trail', async () => {
    const admin = await login('root', ADMIN_PASSWORD);
    const audit = JSON.stringify((await api('GET', '/audit?limit=1000', admin)).body);
    const upstreamTokens = upstream.seen.map((r) => String(r.headers.authorization ?? '').replace(/^(Bearer|Basic) /, '')).filter((t) => t.length > 8);
    const secrets = [...Object.values(SECRETS), ...Object.values(keys), ...upstreamTokens, ADMIN_PASSWORD];
    const files = readdirSync(data).map((f) => readFileSync(path.join(data, f)).toString('latin1'));
    for (const secret of secrets) {
      for (const content of files) expect(content.includes(secret)).toBe(false);
      expect(hub.stderr().includes(secret)).toBe(false);
      expect(audit.includes(secret)).toBe(false);
    }
  });
});

describe('stdio runs as one configured tenant', () => {
  it("uses that tenant's connection", async () => {
    const client = new Client({ name: 'e2e-stdio', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'stdio', '--specs', specs, '--data', data, '--tenant', 'globex'],
        cwd: REPO,
        env: { ...(process.env as Record<string, string>), CI: 'true' },
        stderr: 'pipe',
      }),
    );
    clients.push(client);
    expect(((await client.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult).isError).toBeFalsy();
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.globexNotes}`);
  });
});

describe('master key rotation beside a running hub', () => {
  it('re-seals every secret under a new key; the hub keeps calling with them', async () => {
    const keyBefore = readFileSync(path.join(data, 'master.key'), 'utf8');
    const out = await cli(['rotate-key']);
    expect(out).toMatch(/master key rotated from \w+ to \w+: \d+ secrets re-sealed/);
    expect(readFileSync(path.join(data, 'master.key'), 'utf8')).not.toBe(keyBefore);
    const acme = await connect(keys.acme);
    await acme.callTool({ name: 'notes_list_notes', arguments: {} });
    expect(lastSeen('/notes/notes').headers.authorization).toBe(`Bearer ${SECRETS.acmeNotes}`);
  });
});
