/**
 * The task aggregate on both real databases (SQLite in a temp file, PostgreSQL in a fresh
 * schema): ownership, the one-way move out of `working`, retention and the sweep.
 */
import { randomUUID } from 'node:crypto';
import { postgresBackend, sqliteBackend, type Backend } from '../test/helpers/stores';
import { openStore, type HubStore, type NewTask, type Tenant } from '.';

describe.each([
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
])('%s task store', (_kind, makeBackend) => {
  let backend: Backend | undefined;
  let store: HubStore;
  let tenant: Tenant;

  beforeAll(async () => {
    const candidate = makeBackend();
    store = await openStore(candidate.config);
    backend = candidate;
    tenant = await store.createTenant(`tenant-${randomUUID()}`);
  });

  afterAll(async () => {
    await store?.close();
    await backend?.cleanup();
  });

  const owner = () => ({ tenantId: tenant.id, agentId: 'agent-a' });
  const newTask = (overrides: Partial<NewTask> = {}) => store.createTask({ ...owner(), tool: 'shop_slow', ttlMs: 60_000, pollIntervalMs: 500, ...overrides });

  test('a new task is working, unguessably named, and kept for its ttl', async () => {
    const task = await newTask({ statusMessage: 'started' });
    expect(task).toMatchObject({ ...owner(), tool: 'shop_slow', status: 'working', statusMessage: 'started', ttlMs: 60_000, pollIntervalMs: 500 });
    expect(task.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(task.expiresAt) - Date.parse(task.createdAt)).toBe(60_000);
    expect(task.updatedAt).toBe(task.createdAt);
    expect(await store.getTask(owner(), task.id)).toEqual(task);
    expect((await newTask()).id).not.toBe(task.id);
  });

  test('only the agent that created a task can see or cancel it', async () => {
    const task = await newTask();
    const otherAgent = { tenantId: tenant.id, agentId: 'agent-b' };
    const otherTenant = { tenantId: (await store.createTenant(`tenant-${randomUUID()}`)).id, agentId: 'agent-a' };
    for (const stranger of [otherAgent, otherTenant]) {
      expect(await store.getTask(stranger, task.id)).toBeUndefined();
      expect(await store.cancelTask(stranger, task.id)).toBeUndefined();
    }
    expect((await store.getTask(owner(), task.id))?.status).toBe('working');
  });

  test('a completed task keeps the result, and leaves working only once', async () => {
    const task = await newTask();
    const result = { content: [{ type: 'text', text: 'done' }], structuredContent: { waited: 5, nested: { ok: true } } };
    const done = await store.finishTask(task.id, { status: 'completed', result });
    expect(done).toMatchObject({ status: 'completed', result, error: null });
    expect(Date.parse(done!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(task.createdAt));
    // Neither a second outcome nor a late cancellation changes an ended task.
    expect(await store.finishTask(task.id, { status: 'failed', error: { code: -32603, message: 'late' } })).toBeUndefined();
    expect(await store.cancelTask(owner(), task.id)).toMatchObject({ status: 'completed', result });
    expect(await store.getTask(owner(), task.id)).toMatchObject({ status: 'completed', result });
    expect(await store.taskStatus(task.id)).toBe('completed');
  });

  test('a failed task keeps the JSON-RPC error', async () => {
    const task = await newTask();
    const error = { code: -32602, message: 'Unknown tool: nope', data: { near: ['shop_slow'] } };
    expect(await store.finishTask(task.id, { status: 'failed', error, statusMessage: 'protocol error' })).toMatchObject({
      status: 'failed',
      error,
      result: null,
      statusMessage: 'protocol error',
    });
  });

  test('a cancelled task stays cancelled when its call ends afterwards', async () => {
    const task = await newTask();
    expect(await store.cancelTask(owner(), task.id, 'cancelled by the client')).toMatchObject({
      status: 'cancelled',
      statusMessage: 'cancelled by the client',
    });
    expect(await store.taskStatus(task.id)).toBe('cancelled');
    expect(await store.finishTask(task.id, { status: 'completed', result: { content: [] } })).toBeUndefined();
    expect(await store.getTask(owner(), task.id)).toMatchObject({ status: 'cancelled', result: null });
  });

  test('an expired task reads as unknown and the sweep deletes it, leaving the others', async () => {
    const expiring = await newTask({ ttlMs: 1 });
    const kept = await newTask();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await store.getTask(owner(), expiring.id)).toBeUndefined();
    expect(await store.cancelTask(owner(), expiring.id)).toBeUndefined();
    expect(await store.sweepTasks()).toBeGreaterThanOrEqual(1);
    expect(await store.taskStatus(expiring.id)).toBeUndefined();
    expect(await store.getTask(owner(), kept.id)).toMatchObject({ status: 'working' });
    expect(await store.taskStatus('no-such-task')).toBeUndefined();
  });
});
