/**
 * The read cache against both real databases, with two stores opened on the same
 * database as two processes would: lookups are served from memory, and a write through
 * either store (a key revoked by the CLI, a connection re-sealed) is seen by the other's
 * next lookup, while audit writes leave the cache alone.
 */
import { postgresBackend, sqliteBackend, type Backend } from '../test/helpers/stores';
import { openStore, type HubStore } from '.';

type Cached = HubStore & { readCacheStats(): { hits: number; misses: number } };

const backends: Array<[string, () => Backend]> = [
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
];

describe.each(backends)('read cache on %s', (name, make) => {
  let backend: Backend;
  let writer: Cached;
  let reader: Cached;

  beforeEach(async () => {
    backend = make();
    writer = (await openStore(backend.config)) as Cached;
    reader = (await openStore(backend.config)) as Cached;
  });
  afterEach(async () => {
    await reader.close();
    await writer.close();
    await backend.cleanup();
  });

  /** Lets the notifications of the writes so far land (PostgreSQL), so that hit counts are not racing them. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, name === 'SQLite' ? 0 : 200));

  /** SQLite sees another connection's commit on the next look; PostgreSQL once the notification lands (milliseconds). */
  async function seenByReader<T>(look: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + (name === 'SQLite' ? 0 : 2_000);
    for (;;) {
      const value = await look();
      if (done(value) || Date.now() >= deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  test('a key revoked through another store is refused on the next lookup', async () => {
    const tenant = await writer.createTenant('acme');
    const key = await writer.createAgentKey({
      tenantId: tenant.id,
      userId: null,
      name: 'bot',
      keyHash: 'h'.repeat(64),
      prefix: 'lsh_hhhhhh',
      toolsets: [],
      readOnly: false,
      expiresAt: null,
    });
    const first = await seenByReader(
      () => reader.getAgentKeyByHash(key.keyHash),
      (k) => k !== undefined,
    );
    expect(first?.revokedAt).toBeNull();
    await settle();
    await reader.getAgentKeyByHash(key.keyHash);
    const before = reader.readCacheStats();
    expect((await reader.getAgentKeyByHash(key.keyHash))?.revokedAt).toBeNull();
    expect(reader.readCacheStats().hits).toBe(before.hits + 1);

    await writer.revokeAgentKey(tenant.id, key.id, new Date().toISOString());
    const after = await seenByReader(
      () => reader.getAgentKeyByHash(key.keyHash),
      (k) => k?.revokedAt != null,
    );
    expect(after?.revokedAt).not.toBeNull();
    if (name === 'SQLite') expect(reader.readCacheStats().misses).toBe(before.misses + 1);
  });

  test('audit writes by another store do not empty the cache', async () => {
    const tenant = await writer.createTenant('acme');
    // The notification of createTenant may land after the first lookup, and rightly empties the cache once.
    await settle();
    await reader.getTenant(tenant.id);
    const before = reader.readCacheStats();
    await writer.appendAuditBatch([
      {
        tenantId: tenant.id,
        actorKind: 'agent',
        actorId: null,
        action: 'tool.call',
        tool: 't',
        connectorId: 'c',
        connectionId: null,
        credentialOwner: null,
        upstreamStatus: 200,
        durationMs: 1,
        outcome: 'ok',
        detail: null,
        at: new Date().toISOString(),
      },
    ]);
    await reader.getTenant(tenant.id);
    await reader.getTenant(tenant.id);
    expect(reader.readCacheStats()).toEqual({ hits: before.hits + 2, misses: before.misses });
  });

  test('a quota changed through another store is seen, and cached values cannot be changed by a caller', async () => {
    const tenant = await writer.createTenant('acme');
    const cached = await seenByReader(
      () => reader.getTenant(tenant.id),
      (t) => t !== undefined,
    );
    expect(() => {
      (cached as { callsPerMinute: number | null }).callsPerMinute = 1;
    }).toThrow(TypeError);
    await writer.setTenantQuota(tenant.id, 7);
    const changed = await seenByReader(
      () => reader.getTenant(tenant.id),
      (t) => t?.callsPerMinute === 7,
    );
    expect(changed?.callsPerMinute).toBe(7);
  });

  test('a connection re-sealed through another store is handed out fresh', async () => {
    const tenant = await writer.createTenant('acme');
    const connection = await writer.createConnection({
      tenantId: tenant.id,
      connectorId: 'github',
      userId: null,
      kind: 'api_key',
      status: 'active',
      shared: true,
      secret: 'sealed:v1:one' as never,
      expiresAt: null,
    });
    const first = await seenByReader(
      () => reader.findConnectionFor(tenant.id, 'github', null),
      (found) => found.tenant !== undefined,
    );
    expect(first.tenant?.version).toBe(connection.version);
    await writer.updateConnectionSecret(tenant.id, connection.id, connection.version, { secret: 'sealed:v1:two' as never, expiresAt: null, status: 'active' });
    const next = await seenByReader(
      () => reader.findConnectionFor(tenant.id, 'github', null),
      (found) => found.tenant?.version !== connection.version,
    );
    expect(next.tenant?.version).toBe(connection.version + 1);
  });
});
