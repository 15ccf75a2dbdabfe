/**
 * The MCP authorization spec at the front door: `/mcp` as an OAuth protected resource
 * accepting JWT access tokens (RFC 9068) from a real authorisation server (oidc-provider,
 * its own process), mapped to tenant and toolsets by claims.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'undici';
import { clientCredentialsToken, discoverAuthorizationServer } from '../../auth';
import { removeScratchDirs, runCli, scratchDir, REPO } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { listAll } from '../helpers/mcp';
import { startOidcServer, type OidcServer } from '../helpers/oidc';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const AUDIENCE = 'urn:lunar-hub:e2e';
let upstream: Upstream;
let oidc: OidcServer;
let hub: ServedHub;
let data: string;
let specs: string;
const clients: Client[] = [];

async function tokenFor(clientId: string, scopes: string[] = []): Promise<string> {
  const as = await discoverAuthorizationServer(oidc.issuer);
  return (await clientCredentialsToken({ as, client: { clientId, clientSecret: `${clientId}-secret` }, scopes })).accessToken;
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'e2e-jwt', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

async function listStatus(token: string): Promise<{ status: number; challenge?: string; message: string }> {
  const response = await request(hub.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }),
  });
  const body = (await response.body.json()) as { error?: { message: string } };
  return { status: response.statusCode, challenge: response.headers['www-authenticate'] as string | undefined, message: body.error?.message ?? '' };
}

beforeAll(async () => {
  upstream = await startUpstream({ 'GET /notes/notes': (_req, res) => json(res, 200, []), 'POST /notes/notes': (_req, res) => json(res, 201, {}) });
  const client = (id: string) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['client_credentials'],
    redirect_uris: [] as string[],
    response_types: [] as string[],
    scope: 'hub:read-only',
  });
  oidc = await startOidcServer({
    clients: [client('agent-acme'), client('agent-reader'), client('agent-ghost'), client('agent-anonymous')],
    scopes: ['hub:read-only'],
    jwtResource: {
      audience: AUDIENCE,
      claims: {
        'agent-acme': { tenant: 'acme', toolsets: ['notes'] },
        'agent-reader': { tenant: 'acme' },
        'agent-ghost': { tenant: 'no-such-tenant' },
      },
    },
  });
  data = freshDataDir();
  specs = scratchDir('jwt-specs');
  copyFileSync(path.join(REPO, 'test', 'fixtures', 'specs', 'auth', 'notes.yaml'), path.join(specs, 'notes.yaml'));
  copyFileSync(path.join(REPO, 'test', 'fixtures', 'specs', 'auth', 'crm.yaml'), path.join(specs, 'crm.yaml'));
  writeFileSync(path.join(specs, 'notes.connector.yaml'), `baseUrl: ${upstream.url}/notes\n`);
  writeFileSync(path.join(specs, 'crm.connector.yaml'), `baseUrl: ${upstream.url}/crm\n`);
  for (const args of [
    ['tenants', 'add', 'acme'],
    ['connections', 'add', '--tenant', 'acme', '--connector', 'notes', '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs],
  ]) {
    const result = await runCli([...args, '--data', data], { env: { SECRET: 'acme-notes-token' } });
    expect(result.code).toBe(0);
  }
  hub = await startServe(['--specs', specs, '--data', data, '--jwt-issuer', oidc.issuer, '--jwt-audience', AUDIENCE], {}, { auth: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await oidc?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('publishes its protected resource metadata and points 401 challenges at it', async () => {
  const metadata = (await (await request(`${hub.url}/.well-known/oauth-protected-resource`)).body.json()) as Record<string, unknown>;
  expect(metadata).toMatchObject({ resource: `${hub.url}/mcp`, authorization_servers: [oidc.issuer], bearer_methods_supported: ['header'] });
  const refused = await listStatus('not-a-token');
  expect(refused.status).toBe(401);
  expect(refused.challenge).toContain(`resource_metadata="${hub.url}/.well-known/oauth-protected-resource"`);
});

it("maps a token's claims to tenant and toolsets; the tenant's connection goes upstream, the token does not", async () => {
  const token = await tokenFor('agent-acme');
  expect(token.split('.')).toHaveLength(3); // a JWT
  const agent = await connect(token);
  expect(new Set((await listAll(agent)).map((t) => t.name.split('_')[0]))).toEqual(new Set(['notes']));
  const result = (await agent.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
  expect(result.isError).toBeFalsy();
  const seen = upstream.seen[upstream.seen.length - 1];
  expect(seen.headers.authorization).toBe('Bearer acme-notes-token');
  expect(JSON.stringify(upstream.seen)).not.toContain(token);
});

it('a token with the read-only scope sees only read-only tools', async () => {
  const agent = await connect(await tokenFor('agent-reader', ['hub:read-only']));
  const names = (await listAll(agent)).map((t) => t.name);
  expect(names).toContain('notes_list_notes');
  expect(names).not.toContain('notes_add_note');
});

it('refuses a token whose tenant is unknown, one without a tenant claim, and a tampered one', async () => {
  const ghost = await listStatus(await tokenFor('agent-ghost'));
  expect(ghost.status).toBe(401);
  expect(ghost.message).toContain('"no-such-tenant" is not a tenant of this hub');
  const anonymous = (await listStatus(await tokenFor('agent-anonymous'))).message;
  expect(anonymous).toContain('no "tenant" claim');
  expect(anonymous).toContain('auth.jwt.defaultTenant (LUNAR_JWT_DEFAULT_TENANT)');
  const [header, payload, signature] = (await tokenFor('agent-acme')).split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'acme', toolsets: [] })).toString('base64url');
  const tampered = await listStatus(`${header}.${forged}.${signature}`);
  expect(tampered.status).toBe(401);
  expect(tampered.message).toContain('The access token was refused');
});

it('serves a token without a tenant claim as the configured default tenant (auth.jwt.defaultTenant in a config file)', async () => {
  const config = path.join(scratchDir('jwt-config'), 'hub.yaml');
  writeFileSync(config, `auth:\n  jwt:\n    issuer: ${oidc.issuer}\n    audience: ${AUDIENCE}\n    defaultTenant: acme\n`);
  const second = await startServe(['--specs', specs, '--data', data, '--config', config], {}, { auth: true });
  try {
    const previous = hub;
    hub = second;
    try {
      const agent = await connect(await tokenFor('agent-anonymous'));
      expect((await listAll(agent)).map((t) => t.name)).toContain('notes_list_notes');
      const result = (await agent.callTool({ name: 'notes_list_notes', arguments: {} })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(upstream.seen[upstream.seen.length - 1].headers.authorization).toBe('Bearer acme-notes-token');
      // a token naming an unknown tenant is still refused: the default is only for tokens without the claim
      expect((await listStatus(await tokenFor('agent-ghost'))).status).toBe(401);
    } finally {
      hub = previous;
    }
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await second.stop();
  }
});
