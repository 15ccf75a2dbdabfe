/**
 * Long tool calls as tasks (the MCP tasks extension, `io.modelcontextprotocol/tasks`)
 * against a real `lunar-hub serve` process (hub API keys required, so there are two
 * principals), a real slow HTTP upstream, and clients of both eras:
 * - 2026-07-28, the era the extension is written for, as raw JSON-RPC over HTTP: the SDK's
 *   Client refuses a `resultType: "task"` answer (it has no task runtime), so the test
 *   speaks the wire itself, envelope and routing headers included;
 * - 2025-11-25, where the hub reads the declaration from `initialize`'s capabilities,
 *   with the SDK v2 Client.
 * The hub turns a call into a task after LUNAR_TASK_AFTER_MS (300 ms here).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { removeScratchDirs, runCli, scratchDir } from '../helpers/cli';
import { freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';
import { fixture } from '../helpers/specs';
import { json, slowRoute, startUpstream, type Upstream } from '../helpers/upstream';

const TASKS = 'io.modelcontextprotocol/tasks';
const MODERN = '2026-07-28';
const AFTER_MS = 300;

let upstream: Upstream;
let hub: ServedHub;
let data: string;
const keys: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
/** Upstream requests whose connection closed before the answer was sent. */
const aborted: string[] = [];
const clients: Client[] = [];

const cli = async (args: string[]) => {
  const result = await runCli([...args, '--data', data]);
  if (result.code !== 0) throw new Error(`lunar-hub ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
};

beforeAll(async () => {
  upstream = await startUpstream({
    'GET /api/slow': slowRoute(aborted),
    'GET /api/items/*': (req, res) => json(res, 200, { id: decodeURIComponent(req.url.split('/').pop()!), name: 'widget' }),
  });
  const specs = scratchDir('tasks-specs');
  copyFileSync(fixture('e2e/shop.yaml'), path.join(specs, 'shop.yaml'));
  writeFileSync(path.join(specs, 'shop.connector.yaml'), `baseUrl: ${upstream.url}/api\ntimeouts:\n  headersMs: 20000\n  bodyMs: 20000\n`);
  data = freshDataDir();
  await cli(['tenants', 'add', 'acme']);
  const key = async (name: string) => (JSON.parse(await cli(['keys', 'create', '--tenant', 'acme', '--name', name, '--json'])) as { key: string }).key;
  keys.alice = await key('alice-bot');
  keys.bob = await key('bob-bot');
  hub = await startServe(['--specs', specs, '--data', data], { LUNAR_TASK_AFTER_MS: String(AFTER_MS) }, { auth: true });
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await hub?.stop();
  await upstream?.close();
  removeScratchDirs();
});

interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 1;

/** One 2026-07-28 request as the wire has it: the `_meta` envelope and the standard headers. */
async function modern(key: string, method: string, params: Record<string, unknown>, options: { declare?: boolean } = {}): Promise<RpcAnswer> {
  const declare = options.declare ?? true;
  const id = nextId++;
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'tasks-e2e', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': declare ? { extensions: { [TASKS]: {} } } : {},
  };
  const name = method === 'tools/call' ? params.name : method.startsWith('tasks/') ? params.taskId : undefined;
  const response = await fetch(hub.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } }),
  });
  const body = await response.text();
  // A JSON body, or an event stream whose last message is the answer.
  const messages = response.headers.get('content-type')?.includes('text/event-stream')
    ? body
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice(5)) as RpcAnswer & { id?: number })
    : [JSON.parse(body) as RpcAnswer & { id?: number }];
  const answer = messages.find((m) => m.id === id);
  if (!answer) throw new Error(`no answer to ${method} (HTTP ${response.status}): ${body}`);
  return answer;
}

async function until(done: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls tasks/get at the interval the task asks for until it ends; returns the last answer. */
async function pollModern(key: string, taskId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const { result, error } = await modern(key, 'tasks/get', { taskId });
    if (error) throw new Error(`tasks/get failed: ${JSON.stringify(error)}`);
    if (['completed', 'failed', 'cancelled'].includes(result!.status as string)) return result!;
    await new Promise((r) => setTimeout(r, Math.min(Number(result!.pollIntervalMs), 250)));
  }
  throw new Error('the task never ended');
}

/** What a tool result says, without the envelope fields each era stamps on it. */
function toolResult(result: Record<string, unknown>): Record<string, unknown> {
  const { content, structuredContent, isError } = result;
  return { content, structuredContent, isError };
}

describe('2026-07-28', () => {
  it('advertises the extension in server/discover', async () => {
    const { result } = await modern(keys.alice, 'server/discover', {});
    expect((result!.capabilities as { extensions?: Record<string, unknown> }).extensions).toEqual({ [TASKS]: {} });
  });

  it('answers a slow call with a task, and tasks/get gives the result the direct call gives', async () => {
    const started = Date.now();
    const { result: created } = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 1500 } });
    // Answered once the call outlasted taskAfterMs, well before the upstream did.
    expect(Date.now() - started).toBeLessThan(1400);
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 3_600_000, pollIntervalMs: 1000 });
    expect(created!.taskId).toEqual(expect.any(String));
    expect(Date.parse(created!.createdAt as string)).not.toBeNaN();
    // The SDK's tools/call seam gives every tools/call answer a `content` (empty here); the
    // extension's clients tell a task by `resultType` and ignore it.
    expect(created!.content).toEqual([]);

    const working = await modern(keys.alice, 'tasks/get', { taskId: created!.taskId });
    expect(working.result).toMatchObject({ resultType: 'complete', taskId: created!.taskId, status: 'working' });

    const ended = await pollModern(keys.alice, created!.taskId as string);
    expect(ended).toMatchObject({ resultType: 'complete', status: 'completed' });
    expect(Date.parse(ended.lastUpdatedAt as string)).toBeGreaterThanOrEqual(Date.parse(created!.createdAt as string));
    // The same CallToolResult as a client without the extension waits for.
    const direct = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 1500 } }, { declare: false });
    expect(direct.result).toMatchObject({ resultType: 'complete', structuredContent: { waited: 1500 } });
    expect(toolResult(ended.result as Record<string, unknown>)).toEqual(toolResult(direct.result!));
  });

  it('answers a quick call directly, extension or not', async () => {
    const { result } = await modern(keys.alice, 'tools/call', { name: 'shop_get_item', arguments: { id: '7' } });
    expect(result).toMatchObject({ resultType: 'complete', structuredContent: { id: '7', name: 'widget' } });
  });

  it('makes a client without the extension wait for the plain result, and refuses it the task methods', async () => {
    const started = Date.now();
    const { result } = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 900 } }, { declare: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(result).toMatchObject({ resultType: 'complete', structuredContent: { waited: 900 } });
    const refused = await modern(keys.alice, 'tasks/get', { taskId: 'anything' }, { declare: false });
    expect(refused.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS]: {} } } } });
  });

  it('cancels: the upstream request is closed and the task reads cancelled', async () => {
    const { result: created } = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 8000 } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working' });
    await until(() => upstream.seen.some((r) => r.url === '/api/slow?ms=8000'), 5000, 'the upstream has the request');
    const ack = await modern(keys.alice, 'tasks/cancel', { taskId: created!.taskId });
    expect(ack).toEqual(expect.objectContaining({ result: expect.objectContaining({ resultType: 'complete' }) }));
    // Well before the upstream would have answered (8 s) or the connector's timeout (20 s).
    await until(() => aborted.includes('/api/slow?ms=8000'), 2000, 'the upstream request is closed');
    const { result } = await modern(keys.alice, 'tasks/get', { taskId: created!.taskId });
    expect(result).toMatchObject({ status: 'cancelled' });
    expect(result).not.toHaveProperty('result');
    // It stays cancelled once the aborted call has wound down.
    await new Promise((r) => setTimeout(r, 300));
    expect((await modern(keys.alice, 'tasks/get', { taskId: created!.taskId })).result).toMatchObject({ status: 'cancelled' });
  });

  it("hides a task from every other agent: another key's tasks/get, tasks/update and tasks/cancel find nothing", async () => {
    const { result: created } = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 1200 } });
    const taskId = created!.taskId as string;
    for (const method of ['tasks/get', 'tasks/cancel', 'tasks/update']) {
      const answer = await modern(keys.bob, method, { taskId, ...(method === 'tasks/update' ? { inputResponses: {} } : {}) });
      expect([method, answer.error]).toEqual([method, { code: -32602, message: 'Failed to retrieve task: Task not found' }]);
    }
    // Bob's cancel did nothing: Alice's task runs to its end.
    expect((await pollModern(keys.alice, taskId)).status).toBe('completed');
    expect((await modern(keys.alice, 'tasks/get', { taskId: 'no-such-task' })).error).toMatchObject({ code: -32602 });
  });

  it('acknowledges tasks/update on its own task (no input is ever outstanding) and leaves the task as it was', async () => {
    const { result: created } = await modern(keys.alice, 'tools/call', { name: 'shop_slow', arguments: { ms: 1000 } });
    const update = await modern(keys.alice, 'tasks/update', {
      taskId: created!.taskId,
      inputResponses: { name: { action: 'accept', content: { name: 'x' } } },
    });
    expect(update.result).toMatchObject({ resultType: 'complete' });
    expect((await modern(keys.alice, 'tasks/update', { taskId: created!.taskId })).error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/inputResponses/),
    });
    expect((await pollModern(keys.alice, created!.taskId as string)).status).toBe('completed');
  });
});

describe('2025-11-25', () => {
  async function connect(key: string, declare: boolean): Promise<Client> {
    const client = new Client({ name: 'tasks-e2e-2025', version: '1.0.0' }, declare ? { capabilities: { extensions: { [TASKS]: {} } } } : {});
    await client.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    clients.push(client);
    return client;
  }
  const Loose = z.looseObject({});
  const call = (client: Client, ms: number) => client.request({ method: 'tools/call', params: { name: 'shop_slow', arguments: { ms } } }, Loose);
  const getTask = (client: Client, taskId: string) => client.request({ method: 'tasks/get', params: { taskId } }, Loose);

  it('advertises the extension in initialize', async () => {
    const client = await connect(keys.alice, true);
    expect(client.getServerCapabilities()?.extensions).toEqual({ [TASKS]: {} });
  });

  it('gives a client that declared the extension at initialize a task for a slow call, polled to the result', async () => {
    const client = await connect(keys.alice, true);
    const started = Date.now();
    const created = await call(client, 1200);
    expect(Date.now() - started).toBeLessThan(1100);
    expect(created).toMatchObject({ taskId: expect.any(String), status: 'working', pollIntervalMs: 1000 });
    let task: Record<string, unknown> = created;
    await until(
      async () => {
        task = await getTask(client, created.taskId as string);
        return task.status !== 'working';
      },
      10_000,
      'the task ends',
    );
    expect(task).toMatchObject({ taskId: created.taskId, status: 'completed', result: { structuredContent: { waited: 1200 } } });
    // The result the same session gets when it waits for it (a 2025 client without the extension).
    const plain = await connect(keys.alice, false);
    const direct = await call(plain, 1200);
    expect(toolResult(task.result as Record<string, unknown>)).toEqual(toolResult(direct));
  });

  it('makes a session that did not declare the extension wait for the plain result', async () => {
    const client = await connect(keys.alice, false);
    const result = await call(client, 800);
    expect(result).toMatchObject({ structuredContent: { waited: 800 } });
    expect(result).not.toHaveProperty('taskId');
  });

  it("keeps a 2025 session's task from another agent", async () => {
    const created = await call(await connect(keys.alice, true), 1000);
    const other = await connect(keys.bob, true);
    await expect(getTask(other, created.taskId as string)).rejects.toThrow(/Task not found/);
  });
});
