/** The call audit trail against a real SQLite store: batched writes, order, and one bad entry costing the others nothing. */
import pino from 'pino';
import { callEnd, type CallEndEvent } from './core';
import { openStore, type HubStore } from '../store';
import { sqliteBackend, type Backend } from '../test/helpers/stores';
import { recordToolCalls } from './audit';

let backend: Backend;
let store: HubStore;
let tenantId: string;

beforeEach(async () => {
  backend = sqliteBackend();
  store = await openStore(backend.config);
  tenantId = (await store.createTenant('acme')).id;
});

afterEach(async () => {
  await store.close();
  await backend.cleanup();
});

function event(tool: string, tenant = tenantId): CallEndEvent {
  return { connector: 'shop', tool, kind: 'http', entry: 'mcp', outcome: 'ok', durationMs: 1.4, tenantId: tenant, agentId: 'a1', upstreamStatus: 200 };
}

it('writes the calls of a burst in one batch, in call order, after the calls themselves', async () => {
  const trail = recordToolCalls(store, pino({ level: 'silent' }), { batchMs: 50 });
  const batches: number[] = [];
  const original = store.appendAuditBatch.bind(store);
  store.appendAuditBatch = async (entries) => {
    batches.push(entries.length);
    return original(entries);
  };
  for (let i = 0; i < 5; i++) callEnd.publish(event(`shop_t${i}`));
  // Nothing is written on the calls' own tick.
  expect(batches).toEqual([]);
  await trail.close();
  expect(batches).toEqual([5]);
  const entries = await store.queryAudit({ tenantId });
  expect(entries.map((e) => e.tool).reverse()).toEqual(['shop_t0', 'shop_t1', 'shop_t2', 'shop_t3', 'shop_t4']);
  expect(entries[0]).toMatchObject({ actorKind: 'agent', actorId: 'a1', action: 'tool.call', upstreamStatus: 200, durationMs: 1, outcome: 'ok' });
});

it('keeps the good entries of a batch that holds one the store refuses', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const trail = recordToolCalls(store, log);
  callEnd.publish(event('shop_good'));
  callEnd.publish(event('shop_orphan', 'no-such-tenant'));
  callEnd.publish(event('shop_also_good'));
  await trail.close();
  expect((await store.queryAudit({ tenantId })).map((e) => e.tool).sort()).toEqual(['shop_also_good', 'shop_good']);
  expect(lines.join('')).toMatch(/audit entry not written.*shop_orphan|shop_orphan.*audit entry not written/);
});
