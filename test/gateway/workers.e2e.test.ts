/**
 * `lunar-hub serve --workers 2` as a real process tree on the embedded store (SQLite,
 * no Redis), driven over fresh TCP connections so that Node's cluster hands requests to
 * both workers: what one worker or another process changes, every worker honours at once.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { removeScratchDirs, runCli, scratchDir } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { json, startUpstream, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let hub: ServedHub;
let data: string;
const keys: Record<string, { key: string; id: string }> = {};

interface Answer {
  status: number;
  worker: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: { result?: { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: unknown }; error?: { message: string } };
}

/** One request on its own connection: the cluster picks a worker for each. */
function post(body: unknown, headers: Record<string, string>): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      hub.mcpUrl,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          // A 2025 session answers as an event stream: its one `data:` line is the message.
          const message =
            text.startsWith('event:') || text.startsWith('data:')
              ? text
                  .split('\n')
                  .find((l) => l.startsWith('data:'))!
                  .slice(5)
              : text;
          resolve({
            status: res.statusCode!,
            worker: res.headers['x-lunar-worker'] as string | undefined,
            headers: res.headers,
            body: message ? JSON.parse(message) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'workers-test', version: '1.0.0' },
};

/** A 2026-07-28 tools/call: stateless, so any worker answers it. */
function call(agent: string, id: string, tool = 'shop_get_item'): Promise<Answer> {
  return post(
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: { id }, _meta: META } },
    { authorization: `Bearer ${keys[agent].key}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': tool },
  );
}

async function createKey(name: string, extra: string[] = []): Promise<void> {
  const made = await runCli(['keys', 'create', '--tenant', 'acme', '--name', name, '--data', data, '--json', ...extra]);
  expect(made.code).toBe(0);
  keys[name] = JSON.parse(made.stdout) as { key: string; id: string };
}

/** Calls until both workers have answered (they take connections in turn; a few tries suffice). */
async function fromBothWorkers(send: () => Promise<Answer>, tries = 20): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < tries; i++) {
    answers.push(await send());
    if (new Set(answers.map((a) => a.worker)).size === 2 && answers.length >= 4) break;
  }
  return answers;
}

function workerPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(hub.process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget', price: 3 }),
    'GET /paced/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget', price: 3 }),
  });
  const specs = scratchDir('workers-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\n`);
  // The same API under a connector with a rate: 4 a minute for the whole hub, however many workers.
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'paced.yaml'));
  writeFileSync(path.join(specs, 'paced.connector.yaml'), `baseUrl: ${upstream.url}/paced\nrateLimit:\n  perConnector:\n    perMinute: 4\n  maxWaitMs: 100\n`);
  data = freshDataDir();
  expect((await runCli(['tenants', 'add', 'acme', '--data', data])).code).toBe(0);
  await createKey('revoked');
  await createKey('quota', ['--calls-per-minute', '6']);
  await createKey('steady');
  hub = await startServe(['--specs', specs, '--data', data, '--workers', '2'], {}, { auth: true });
}, 90_000);

afterAll(async () => {
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

it('serves from two workers behind one port, saying which answered', async () => {
  const answers = await fromBothWorkers(() => call('steady', 'a'));
  expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  for (const answer of answers) expect(answer.body.result?.structuredContent).toEqual({ id: 'a', name: 'widget', price: 3 });
  expect(workerPids()).toHaveLength(2);
});

it('refuses a key revoked by another process on its next request, on every worker', async () => {
  const before = await fromBothWorkers(() => call('revoked', 'b'));
  expect(before.every((a) => a.status === 200 && !a.body.result?.isError)).toBe(true);
  const revoked = await runCli(['keys', 'revoke', keys.revoked.id, '--tenant', 'acme', '--data', data]);
  expect(revoked.code).toBe(0);
  const after = await fromBothWorkers(() => call('revoked', 'b'));
  expect(new Set(after.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  for (const answer of after) {
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toMatch(/was revoked/);
  }
});

it('counts a quota across both workers without Redis', async () => {
  // Fixed one-minute windows: start well inside one, so that all calls count in it.
  const second = new Date().getSeconds();
  if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
  const answers: Answer[] = [];
  for (let i = 0; i < 10; i++) answers.push(await call('quota', `q${i}`));
  expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  const served = answers.filter((a) => !a.body.result?.isError);
  const refused = answers.filter((a) => a.body.result?.isError);
  expect(served).toHaveLength(6);
  expect(refused).toHaveLength(4);
  for (const answer of refused) expect(JSON.stringify(answer.body.result)).toContain('HUB_ERR_QUOTA_EXCEEDED');
}, 30_000);

it("keeps to an upstream's rate across both workers without Redis: each worker has its share", async () => {
  const second = new Date().getSeconds();
  if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
  const answers: Answer[] = [];
  for (let i = 0; i < 10; i++) answers.push(await call('steady', `p${i}`, 'paced_get_item'));
  expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  expect(upstream.seen.filter((r) => r.url.startsWith('/paced/'))).toHaveLength(4);
  const refused = answers.filter((a) => a.body.result?.isError);
  expect(refused).toHaveLength(6);
  for (const answer of refused) expect(JSON.stringify(answer.body.result)).toContain('HUB_ERR_RATE_LIMITED');
}, 30_000);

it('serves a 2025-11-25 session from the worker that holds it, whichever worker a request reaches', async () => {
  const auth = { authorization: `Bearer ${keys.steady.key}` };
  const opened = await post(
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'legacy', version: '1' } } },
    auth,
  );
  const session = opened.headers['mcp-session-id'] as string;
  expect(session).toMatch(/^[12]\.[0-9a-f-]{36}$/);
  const owner = session.split('.')[0];
  const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  for (let i = 0; i < 6; i++) {
    const listed = await post({ jsonrpc: '2.0', id: 2 + i, method: 'tools/call', params: { name: 'shop_get_item', arguments: { id: `s${i}` } } }, headers);
    expect(listed.status).toBe(200);
    expect(listed.worker).toBe(owner);
    expect(listed.body.result?.structuredContent).toEqual({ id: `s${i}`, name: 'widget', price: 3 });
  }
});

it("answers /metrics with every worker's calls summed", async () => {
  const read = () =>
    new Promise<{ worker: string | undefined; total: number }>((resolve, reject) => {
      http
        .get(`${hub.url}/metrics`, { agent: false }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => {
            const total = text
              .split('\n')
              .filter((line) => line.startsWith('lunar_hub_tool_calls_total{'))
              .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
            resolve({ worker: res.headers['x-lunar-worker'] as string | undefined, total });
          });
        })
        .on('error', reject);
    });
  const first = await read();
  const second = await read();
  // Two readings, most likely from both workers (in turn), agree on the sum of all calls so far.
  expect(first.total).toBeGreaterThanOrEqual(20);
  expect(second.total).toBe(first.total);
});

it("stops with the worker's exit code when a worker cannot start, leaving no process behind", async () => {
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = String((blocker.address() as import('node:net').AddressInfo).port);
  try {
    const result = await runCli(['serve', '--port', port, '--no-auth', '--specs', scratchDir('workers-blocked'), '--data', freshDataDir()], {
      env: { LUNAR_WORKERS: '2' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HUB_ERR_CONFIG_USAGE: cannot listen on 127\.0\.0\.1:\d+/);
    expect(result.stderr).toContain('a worker failed to start; stopping');
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
}, 60_000);

it('replaces a worker that dies, and keeps serving meanwhile', async () => {
  const [victim, survivor] = workerPids();
  process.kill(victim, 'SIGKILL');
  const deadline = Date.now() + 20_000;
  while (!(workerPids().length === 2 && !workerPids().includes(victim))) {
    if (Date.now() > deadline) throw new Error(`no worker replaced ${victim}: ${workerPids().join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(workerPids()).toContain(survivor);
  await hub.waitForStderr(/a worker exited; starting another in its place/);
  // Two at start and the replacement.
  await hub.waitForStderr(/(worker listening[\s\S]*){3}/);
  const answers = await fromBothWorkers(() => call('steady', 'c'));
  expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  expect(answers.every((a) => a.body.result?.structuredContent !== undefined)).toBe(true);
}, 30_000);

it('writes the audit entry of every call made before SIGTERM', async () => {
  await createKey('last');
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call('last', `t${i}`)));
  expect(answers.every((a) => a.status === 200 && !a.body.result?.isError)).toBe(true);
  expect(new Set(answers.map((a) => a.worker)).size).toBe(2);
  // At once: the entries are still in the workers' batches.
  expect(await hub.stop()).toBe(0);
  const audit = await runCli(['audit', '--data', data, '--agent', keys.last.id, '--limit', '1000', '--json']);
  expect(audit.code).toBe(0);
  const entries = (JSON.parse(audit.stdout) as Array<{ action: string; outcome: string }>).filter((e) => e.action === 'tool.call');
  expect(entries).toHaveLength(40);
  expect(entries.every((e) => e.outcome === 'ok')).toBe(true);
}, 30_000);
