/**
 * MCP 2026-07-28 on the wire, as a client that builds its own HTTP requests sees it:
 * real `lunar-hub serve` processes (several on one data folder, as several nodes behind
 * a load balancer share one store), a real upstream that counts what reaches it, a real
 * authorisation server (oidc-provider) for the connect flow, and plain fetch. Covers
 * server/discover, the header/body checks, the `_meta` envelope, cache hints and list
 * order, per-connector endpoints, trace context, input requests (a connect link for a
 * missing OAuth connection) and signed request state: tampered, expired, another
 * principal's, replayed on another node, after a key rotation.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stateKeyFromMasterKey } from '../../gateway/mcp/request-state';
import { removeScratchDirs, REPO, runCli, scratchDir } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { loginAndConsent, startOidcServer, type OidcServer } from '../helpers/oidc';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

const MODERN = '2026-07-28';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const CLIENT_SECRET = 'hub-client-secret-P4q';
const MASTER_KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
/** A client that can open a link for its user (URL elicitation), as the 2026-07-28 envelope declares it. */
const CAN_OPEN_URLS = { elicitation: { url: {} } };

let upstream: Upstream;
let oidc: OidcServer;
let data: string;
let specs: string;
/** A and B: the same master key, no state keys (the default, derived key). */
let hubA: ServedHub;
let hubB: ServedHub;
/** C: its own state key `other`; D: rotated to `new`, with `other` still listed second. */
let hubC: ServedHub;
let hubD: ServedHub;
const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
let nextId = 1;

interface RpcAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the fields of its own method
  body: any;
}

interface RpcOptions {
  key?: string;
  path?: string;
  /** Replaces the headers the body implies (Mcp-Method, Mcp-Name). */
  headers?: Record<string, string>;
  /** Replaces the whole `_meta` (null: none at all). */
  meta?: Record<string, unknown> | null;
  /** Added to the envelope's `_meta`. */
  extraMeta?: Record<string, unknown>;
  capabilities?: Record<string, unknown>;
}

function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
}

/** One 2026-07-28 request, built by hand: the body, the envelope and the headers that mirror it. */
async function rpc(hub: ServedHub, method: string, params: Record<string, unknown> = {}, options: RpcOptions = {}): Promise<RpcAnswer> {
  const meta = options.meta === undefined ? { ...envelope(options.capabilities), ...options.extraMeta } : options.meta;
  const body = { jsonrpc: '2.0', id: nextId++, method, params: { ...params, ...(meta === null ? {} : { _meta: meta }) } };
  const name = typeof params.name === 'string' ? params.name : undefined;
  const response = await fetch(`${hub.url}${options.path ?? '/mcp'}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
      authorization: `Bearer ${options.key ?? keys.alice}`,
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const callTool = (hub: ServedHub, name: string, extra: Record<string, unknown> = {}, options: RpcOptions = {}) =>
  rpc(hub, 'tools/call', { name, arguments: {}, ...extra }, { capabilities: CAN_OPEN_URLS, ...options });

const cli = async (args: string[], env: Record<string, string> = {}) => {
  const result = await runCli([...args, '--data', data], { env: { LUNAR_MASTER_KEY: MASTER_KEY, ...env } });
  if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
};

const serve = (env: Record<string, string>) => startServe(['--specs', specs, '--data', data], { LUNAR_MASTER_KEY: MASTER_KEY, ...env }, { auth: true });

async function waitForTool(hub: ServedHub, name: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listed = await rpc(hub, 'tools/list');
    if ((listed.body.result?.tools as { name: string }[] | undefined)?.some((t) => t.name === name)) return;
    if (Date.now() > deadline) throw new Error(`${name} never appeared: ${JSON.stringify(listed.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The token with its body re-signed by `key` after `change`: what only a holder of the key can make. */
function resigned(token: string, key: Buffer, change: (envelope: { p: unknown; exp: number; b?: string }) => void): string {
  const [kid, version, body] = token.split('.');
  const envelope = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { p: unknown; exp: number; b?: string };
  change(envelope);
  const next = Buffer.from(JSON.stringify(envelope)).toString('base64url');
  const mac = createHmac('sha256', key).update(`${version}.${next}`).digest('base64url');
  return [kid, version, next, mac].join('.');
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget' }),
    'GET /api/items': (_req, res) => json(res, 200, [{ id: '1', name: 'widget' }]),
    'GET /cloud/files': (req, res) =>
      /^Bearer \S+/.test(String(req.headers.authorization ?? '')) ? json(res, 200, [{ name: 'report.pdf' }]) : json(res, 401, { message: 'Bad credentials' }),
  });
  data = freshDataDir();
  specs = scratchDir('protocol-2026-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  const key = async (name: string) => (JSON.parse(await cli(['keys', 'create', '--tenant', 'default', '--name', name, '--json'])) as { key: string }).key;
  keys.alice = await key('alice-bot');
  keys.bob = await key('bob-bot');

  hubA = await serve({});
  // The authorisation server knows the hub's callback only now that the hub has a port.
  oidc = await startOidcServer({
    clients: [
      { client_id: 'hub', client_secret: CLIENT_SECRET, redirect_uris: [`${hubA.url}/oauth/callback`], grant_types: ['authorization_code', 'refresh_token'] },
    ],
    scopes: ['files'],
  });
  copyFileSync(path.join(REPO, 'test', 'fixtures', 'specs', 'auth', 'cloud.yaml'), path.join(specs, 'cloud.yaml'));
  writeFileSync(
    path.join(specs, 'cloud.connector.yaml'),
    `baseUrl: ${upstream.url}/cloud\nauth:\n  scheme: oauth\n  issuer: ${oidc.issuer}\n  scopes: [openid, files]\n`,
  );
  await cli(
    [
      'oauth-apps',
      'add',
      '--tenant',
      'default',
      '--connector',
      'cloud',
      '--client-id',
      'hub',
      '--client-secret-env',
      'SECRET',
      '--redirect-uri',
      `${hubA.url}/oauth/callback`,
    ],
    {
      SECRET: CLIENT_SECRET,
    },
  );
  await waitForTool(hubA, 'cloud_list_files');
  [hubB, hubC, hubD] = await Promise.all([
    serve({}),
    serve({ LUNAR_STATE_KEYS: `other:${OTHER_KEY}` }),
    serve({ LUNAR_STATE_KEYS: `new:${NEW_KEY},other:${OTHER_KEY}` }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([hubA, hubB, hubC, hubD].map((hub) => hub?.stop()));
  await oidc?.stop();
  await upstream?.close();
  removeScratchDirs();
});

describe('server/discover', () => {
  it('names the versions, capabilities and server', async () => {
    const { status, body } = await rpc(hubA, 'server/discover');
    expect(status).toBe(200);
    expect(body.result.supportedVersions).toEqual([MODERN]);
    expect(body.result.capabilities).toMatchObject({ tools: { listChanged: true } });
    expect(body.result._meta['io.modelcontextprotocol/serverInfo']).toMatchObject({ name: 'lunar-snake-hub', version: expect.any(String) });
  });
});

describe('headers and envelope', () => {
  it.each([
    ['Mcp-Name', { 'mcp-name': 'shop_list_items' }],
    ['Mcp-Method', { 'mcp-method': 'tools/list' }],
  ])('refuses a %s header that disagrees with the body, and calls nothing upstream', async (_header, headers) => {
    const before = upstream.seen.length;
    const { status, body } = await callTool(hubA, 'shop_get_item', { arguments: { id: '1' } }, { headers });
    expect(status).toBe(400);
    expect(body.error.code).toBe(-32020);
    expect(body.error.message).toMatch(/headers and body disagree/);
    expect(upstream.seen.length).toBe(before);
  });

  it('the same call with agreeing headers reaches the upstream (the refusals above were about the headers)', async () => {
    const before = upstream.seen.length;
    const { body } = await callTool(hubA, 'shop_get_item', { arguments: { id: '7' } });
    expect(body.result.structuredContent).toEqual({ id: '7', name: 'widget' });
    expect(upstream.seen.length).toBe(before + 1);
  });

  it('refuses a request without _meta, or with a malformed envelope, with -32602', async () => {
    const missing = await rpc(hubA, 'tools/list', {}, { meta: null });
    expect([missing.status, missing.body.error.code]).toEqual([400, -32602]);
    expect(missing.body.error.data).toEqual({ envelope: { missing: ['_meta'] } });
    const malformed = await rpc(hubA, 'tools/list', {}, { meta: { ...envelope(), 'io.modelcontextprotocol/clientInfo': 'not an object' } });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, -32602]);
    expect(malformed.body.error.data.envelope.key).toBe('io.modelcontextprotocol/clientInfo');
    const partial = await rpc(hubA, 'tools/list', {}, { meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } });
    expect(partial.body.error.code).toBe(-32602);
  });
});

describe('tools/list', () => {
  it('carries cache hints, and the same sorted order every time', async () => {
    const first = (await rpc(hubA, 'tools/list')).body.result;
    const second = (await rpc(hubA, 'tools/list')).body.result;
    expect(first.ttlMs).toBe(60_000);
    expect(first.cacheScope).toBe('private');
    const names = (first.tools as { name: string }[]).map((t) => t.name);
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual([...names].sort());
    expect(second.tools).toEqual(first.tools);
  });

  it('/mcp/<connector> serves one connector in both eras', async () => {
    const modern = (await rpc(hubA, 'tools/list', {}, { path: '/mcp/shop' })).body.result.tools as { name: string }[];
    expect(modern.length).toBeGreaterThan(0);
    expect(modern.every((t) => t.name.startsWith('shop_'))).toBe(true);
    const legacy = new Client({ name: 'legacy-2025', version: '1.0.0' });
    await legacy.connect(
      new StreamableHTTPClientTransport(new URL(`${hubA.url}/mcp/shop`), { requestInit: { headers: { authorization: `Bearer ${keys.alice}` } } }),
    );
    try {
      expect(legacy.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(modern.map((t) => t.name));
    } finally {
      await legacy.close();
    }
  });
});

describe('trace context', () => {
  const lastTraceparent = () => String(upstream.seen.at(-1)!.headers.traceparent ?? '');

  it('a 2026-07-28 call: the upstream gets the same trace id and a new span id; the logs name the trace', async () => {
    await callTool(hubA, 'shop_get_item', { arguments: { id: 'traced' } }, { extraMeta: { traceparent: TRACEPARENT, tracestate: 'lunar=1' } });
    const sent = lastTraceparent().split('-');
    expect(sent).toHaveLength(4);
    expect(sent[0]).toBe('00');
    expect(sent[1]).toBe(TRACE_ID);
    expect(sent[2]).toMatch(/^[0-9a-f]{16}$/);
    expect(sent[2]).not.toBe('00f067aa0ba902b7');
    expect(sent[3]).toBe('01');
    expect(upstream.seen.at(-1)!.headers.tracestate).toBe('lunar=1');
    await hubA.waitForStderr(new RegExp(`"traceId":"${TRACE_ID}"`));
  });

  it('a 2025-11-25 client may send one too', async () => {
    const legacy = new Client({ name: 'legacy-2025', version: '1.0.0' });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(hubA.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${keys.alice}` } } }));
    try {
      await legacy.callTool({ name: 'shop_get_item', arguments: { id: 'legacy-traced' }, _meta: { traceparent: TRACEPARENT } });
    } finally {
      await legacy.close();
    }
    expect(upstream.seen.at(-1)!.url).toBe('/api/items/legacy-traced');
    expect(lastTraceparent()).toMatch(new RegExp(`^00-${TRACE_ID}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`));
  });

  it('a malformed traceparent is ignored: the call runs, untraced', async () => {
    const { body } = await callTool(hubA, 'shop_get_item', { arguments: { id: 'untraced' } }, { extraMeta: { traceparent: '00-zz-00f067aa0ba902b7-01' } });
    expect(body.result.isError).toBeFalsy();
    expect(upstream.seen.at(-1)!.url).toBe('/api/items/untraced');
    expect(upstream.seen.at(-1)!.headers.traceparent).toBeUndefined();
  });
});

describe('input requests: a call that needs an OAuth connection the caller does not have', () => {
  let asked: { inputRequests: Record<string, { method: string; params: { mode: string; url: string; message: string } }>; requestState: string };
  const retry = (hub: ServedHub, state: string, options: RpcOptions = {}, name = 'cloud_list_files') =>
    callTool(hub, name, { inputResponses: { 'connect-cloud': { action: 'accept' } }, requestState: state }, options);

  beforeAll(async () => {
    const { body } = await callTool(hubA, 'cloud_list_files');
    asked = body.result;
  });

  it('answers input_required: a URL elicitation leading to the hub connect link, and signed state', () => {
    expect(asked).toMatchObject({ resultType: 'input_required', _meta: { 'lunar-hub/code': 'HUB_ERR_CRED_MISSING' } });
    const request = asked.inputRequests['connect-cloud']!;
    expect(request.method).toBe('elicitation/create');
    expect(request.params.mode).toBe('url');
    expect(request.params.message).toContain('cloud');
    expect(request.params.url.startsWith(`${hubA.url}/oauth/connect?ticket=`)).toBe(true);
    // The default key, derived from the master key: its kid leads the token.
    expect(asked.requestState.startsWith(`${stateKeyFromMasterKey(Buffer.from(MASTER_KEY, 'base64')).kid}.v1.`)).toBe(true);
  });

  it('keeps the tool error for 2025-11-25 clients, and for 2026-07-28 clients that cannot open URLs', async () => {
    const withoutUrls = await callTool(hubA, 'cloud_list_files', {}, { capabilities: {} });
    expect(withoutUrls.body.result).toMatchObject({ isError: true, _meta: { 'lunar-hub/code': 'HUB_ERR_CRED_MISSING' } });
    const legacy = new Client({ name: 'legacy-2025', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } } });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(hubA.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${keys.alice}` } } }));
    try {
      const result = (await legacy.callTool({ name: 'cloud_list_files', arguments: {} })) as { isError?: boolean; content: { text?: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toContain('HUB_ERR_CRED_MISSING');
    } finally {
      await legacy.close();
    }
  });

  it.each([
    ['changed', (state: string) => state.replace(/\.v1\.(.)/, (_m, c: string) => `.v1.${c === 'A' ? 'B' : 'A'}`), 'mac'],
    ['not ours at all', () => 'garbage', 'malformed'],
    [
      'expired (re-signed with the right key, ten minutes ago)',
      (state: string) => resigned(state, stateKeyFromMasterKey(Buffer.from(MASTER_KEY, 'base64')).key, (e) => (e.exp -= 1200)),
      'expired',
    ],
  ])('refuses state that was %s, before anything runs', async (_name, change, reason) => {
    const before = upstream.seen.length;
    const { status, body } = await retry(hubA, change(asked.requestState));
    expect(status).toBe(200);
    expect(body.error).toMatchObject({ code: -32602, data: { code: 'HUB_ERR_STATE_INVALID', reason } });
    expect(body.error.message).toMatch(/^HUB_ERR_STATE_INVALID: The requestState was refused/);
    expect(upstream.seen.length).toBe(before);
  });

  it('refuses state presented by another principal, or for another tool', async () => {
    const bob = await retry(hubA, asked.requestState, { key: keys.bob });
    expect(bob.body.error).toMatchObject({ code: -32602, data: { code: 'HUB_ERR_STATE_INVALID', reason: 'bind' } });
    const otherTool = await retry(hubA, asked.requestState, {}, 'shop_list_items');
    expect(otherTool.body.error).toMatchObject({ data: { reason: 'bind' } });
  });

  it('another node with the same master key accepts the state; one with other keys refuses it', async () => {
    const replayed = await retry(hubB, asked.requestState);
    // Accepted and run again: still no connection, so the same question, with fresh state from B.
    expect(replayed.body.result).toMatchObject({ resultType: 'input_required' });
    expect(replayed.body.result.inputRequests['connect-cloud'].params.url.startsWith(`${hubB.url}/oauth/connect?ticket=`)).toBe(true);
    const refused = await retry(hubC, asked.requestState);
    expect(refused.body.error).toMatchObject({ code: -32602, data: { code: 'HUB_ERR_STATE_INVALID', reason: 'kid' } });
  });

  it('key rotation: state signed with the old key verifies where it is listed second; the new key signs', async () => {
    const fromC = (await callTool(hubC, 'cloud_list_files')).body.result.requestState as string;
    expect(fromC.startsWith('other.v1.')).toBe(true);
    const onD = await retry(hubD, fromC);
    expect(onD.body.result).toMatchObject({ resultType: 'input_required' });
    const fromD = onD.body.result.requestState as string;
    expect(fromD.startsWith('new.v1.')).toBe(true);
    // C has not rotated yet: it does not know the new key.
    expect((await retry(hubC, fromD)).body.error).toMatchObject({ data: { reason: 'kid' } });
  });

  it('the link connects the account (authorisation code at the real server); the retry then runs with it', async () => {
    const link = asked.inputRequests['connect-cloud']!.params.url;
    const opened = await fetch(link, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    const authorize = opened.headers.get('location')!;
    expect(authorize.startsWith(oidc.issuer)).toBe(true);
    const callback = await loginAndConsent(authorize);
    const finished = await fetch(`${hubA.url}/oauth/callback${callback.search}`);
    expect(await finished.text()).toContain('is ready');

    const before = upstream.seen.length;
    // On B: the state A issued, the connection A's callback stored in the shared store.
    const { body } = await retry(hubB, asked.requestState);
    expect(body.result.isError).toBeFalsy();
    expect(body.result.structuredContent ?? JSON.parse(body.result.content[0].text)).toEqual([{ name: 'report.pdf' }]);
    expect(upstream.seen.length).toBe(before + 1);
    expect(upstream.seen.at(-1)!.headers.authorization).toMatch(/^Bearer \S+/);
  });

  it('a tampered connect link is refused and starts nothing', async () => {
    const response = await fetch(`${hubA.url}/oauth/connect?ticket=${encodeURIComponent('mk-00000000.v1.e30.AAAA')}`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('HUB_ERR_STATE_INVALID');
  });
});

describe('mcp.stateKeys', () => {
  it('a short or malformed key stops serve before it opens anything, without echoing the key', async () => {
    const short = randomBytes(16).toString('base64');
    const result = await runCli(['serve', '--port', '0', '--no-auth', '--specs', specs, '--data', freshDataDir()], {
      env: { LUNAR_STATE_KEYS: `k1:${short},no-kid-here` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('HUB_ERR_CONFIG_SETTINGS');
    expect(result.stderr).toContain('key "k1" must be at least 32 bytes');
    expect(result.stderr).toContain('entry 2 must be kid:base64key');
    expect(result.stderr).not.toContain(short);
  });
});
