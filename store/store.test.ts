/**
 * One suite, two real databases: every HubStore behaviour runs against SQLite (a temp
 * file) and PostgreSQL (a fresh schema per run, dropped afterwards). PostgreSQL is not
 * optional: when it is down the suite fails and says how to start it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { rejected } from '../test/helpers/errors';
import { PG_URL, postgresBackend, sqliteBackend, type Backend } from '../test/helpers/stores';
import { redactUrl } from '../errors';
import {
  LATEST_SCHEMA_VERSION,
  openStore,
  storeConfigFrom,
  type KyselyStore,
  type Connection,
  type HubStore,
  type NewAuditEntry,
  type NewConnection,
  type OAuthPending,
  type StoreConfig,
  type Tenant,
} from '.';

/** Raw SQL beside the store (its own connection), to set up what the store must cope with. */
async function rawQuery(config: StoreConfig, statement: string): Promise<unknown[]> {
  if (config.kind === 'sqlite') {
    const db = new BetterSqlite3(config.file);
    try {
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all();
      prepared.run();
      return [];
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: config.url });
  await client.connect();
  try {
    await client.query(`create schema if not exists "${config.schema}"; set search_path to "${config.schema}"`);
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

async function openBackend(backend: Backend): Promise<HubStore> {
  try {
    return await openStore(backend.config);
  } catch (error) {
    if (backend.config.kind === 'sqlite') throw error;
    throw new Error(
      `PostgreSQL is needed for these tests and is not reachable at ${redactUrl(PG_URL)}: ${(error as Error).message}. ` +
        'Start it (.ci/run starts it when missing) or point LUNAR_TEST_DATABASE_URL at a running server.',
    );
  }
}

/** Timestamps have millisecond resolution: a pause orders rows made one after another. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const FUTURE = '2999-01-01T00:00:00.000Z';

describe.each([
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
])('%s store', (_kind, makeBackend) => {
  let backend: Backend | undefined;
  let store: HubStore;

  beforeAll(async () => {
    const candidate = makeBackend();
    store = await openBackend(candidate);
    // Only a backend that opened has anything to clean up (and can be reached to do it).
    backend = candidate;
  });

  afterAll(async () => {
    await store?.close();
    await backend?.cleanup();
  });

  const newTenant = () => store.createTenant(`tenant-${randomUUID()}`);

  function newConnection(tenant: Tenant, overrides: Partial<NewConnection> = {}): Promise<Connection> {
    return store.createConnection({
      tenantId: tenant.id,
      connectorId: 'github',
      userId: null,
      kind: 'oauth2',
      status: 'active',
      secret: 'v1.k.iv.tag.secret',
      ...overrides,
    });
  }

  function pendingFor(connection: Connection, overrides: Partial<OAuthPending> = {}): OAuthPending {
    return {
      stateHash: randomBytes(16).toString('hex'),
      tenantId: connection.tenantId,
      connectorId: connection.connectorId,
      userId: connection.userId,
      connectionId: connection.id,
      verifier: 'v1.k.iv.tag.verifier',
      redirectUri: 'http://127.0.0.1/oauth/callback',
      createdAt: new Date().toISOString(),
      expiresAt: FUTURE,
      ...overrides,
    };
  }

  function audit(tenantId: string | null, overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
    return {
      tenantId,
      actorKind: 'agent',
      actorId: 'key-1',
      action: 'tool.call',
      tool: 'github_list_issues',
      connectorId: 'github',
      connectionId: null,
      credentialOwner: 'tenant',
      upstreamStatus: 200,
      durationMs: 12,
      outcome: 'ok',
      detail: null,
      ...overrides,
    };
  }

  describe('migrations', () => {
    test('are idempotent and record the schema version', async () => {
      await store.migrate();
      await store.migrate();
      expect(LATEST_SCHEMA_VERSION).toBe('003_tasks');
      expect(await (store as KyselyStore).schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    });

    test('a second open of the same store migrates nothing and sees the data', async () => {
      const tenant = await newTenant();
      const again = await openStore(backend!.config);
      try {
        expect(await (again as KyselyStore).schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        expect(await again.getTenant(tenant.id)).toEqual(tenant);
      } finally {
        await again.close();
      }
    });

    test('a failing migration is rolled back whole and reported as HUB_ERR_STORE_MIGRATION', async () => {
      const broken = makeBackend();
      try {
        // The last table 001_initial creates already exists: the migration fails at its end.
        await rawQuery(broken.config, 'create table audit (x integer)');
        const error = await rejected(openStore(broken.config));
        expect(error.code).toBe('HUB_ERR_STORE_MIGRATION');
        expect(error.message).toContain('001_initial');
        // The tables made before the failure are gone with it.
        expect(String((await rejected(rawQuery(broken.config, 'select * from tenants'))).message)).toMatch(
          /no such table: tenants|relation "tenants" does not exist/,
        );
      } finally {
        await broken.cleanup();
      }
    });

    test('a store migrated by a newer hub is refused, not guessed at', async () => {
      const newer = makeBackend();
      try {
        await (await openStore(newer.config)).close();
        await rawQuery(newer.config, "insert into kysely_migration (name, timestamp) values ('999_future', '2999-01-01T00:00:00.000Z')");
        const error = await rejected(openStore(newer.config));
        expect(error.code).toBe('HUB_ERR_STORE_MIGRATION');
        expect(error.message).toContain('999_future');
      } finally {
        await newer.cleanup();
      }
    });

    test('foreign keys are enforced (a row of an unknown tenant is refused)', async () => {
      // By message, not toThrow(): better-sqlite3's error class belongs to whichever jest realm loaded the addon first.
      const error = await rejected(
        store.createConnection({ tenantId: randomUUID(), connectorId: 'github', userId: null, kind: 'bearer', status: 'active', secret: null }),
      );
      expect(String(error.message)).toMatch(/FOREIGN KEY|foreign key/);
    });
  });

  describe('tenants', () => {
    test('create, get by id and by name, list', async () => {
      const tenant = await newTenant();
      expect(tenant).toEqual({ id: expect.any(String), name: tenant.name, createdAt: expect.any(String), callsPerMinute: null });
      expect(await store.getTenant(tenant.id)).toEqual(tenant);
      expect(await store.getTenantByName(tenant.name)).toEqual(tenant);
      expect(await store.listTenants()).toContainEqual(tenant);
      expect(await store.getTenant(randomUUID())).toBeUndefined();
      expect(await store.getTenantByName('no such tenant')).toBeUndefined();
    });

    test('a quota is set, changed and cleared', async () => {
      const tenant = await newTenant();
      expect(await store.setTenantQuota(tenant.id, 600)).toMatchObject({ id: tenant.id, callsPerMinute: 600 });
      expect((await store.getTenantByName(tenant.name))!.callsPerMinute).toBe(600);
      expect((await store.setTenantQuota(tenant.id, null))!.callsPerMinute).toBeNull();
      expect(await store.setTenantQuota(randomUUID(), 5)).toBeUndefined();
    });

    test('a taken name is refused with a clear error', async () => {
      const tenant = await newTenant();
      const error = await rejected(store.createTenant(tenant.name));
      expect(error.code).toBe('HUB_ERR_API_BAD_REQUEST');
      expect(error.message).toBe(`tenant name "${tenant.name}" is already taken`);
    });
  });

  describe('admins and sessions', () => {
    test('create, get by id and by username, count', async () => {
      const tenant = await newTenant();
      const before = await store.countAdmins();
      const hubAdmin = await store.createAdmin({ username: `root-${randomUUID()}`, passwordHash: 'scrypt$1', tenantId: null });
      const tenantAdmin = await store.createAdmin({ username: `ops-${randomUUID()}`, passwordHash: 'scrypt$2', tenantId: tenant.id });
      expect(hubAdmin).toEqual({
        id: expect.any(String),
        username: hubAdmin.username,
        passwordHash: 'scrypt$1',
        tenantId: null,
        createdAt: expect.any(String),
        disabledAt: null,
      });
      expect(tenantAdmin.tenantId).toBe(tenant.id);
      expect(await store.getAdmin(hubAdmin.id)).toEqual(hubAdmin);
      expect(await store.getAdminByUsername(tenantAdmin.username)).toEqual(tenantAdmin);
      expect(await store.getAdmin(randomUUID())).toBeUndefined();
      expect(await store.getAdminByUsername('nobody')).toBeUndefined();
      expect(await store.countAdmins()).toBe(before + 2);
    });

    test('a duplicate username is refused with HUB_ERR_API_BAD_REQUEST and writes nothing', async () => {
      const admin = await store.createAdmin({ username: `dup-${randomUUID()}`, passwordHash: 'scrypt$1', tenantId: null });
      const before = await store.countAdmins();
      const error = await rejected(store.createAdmin({ username: admin.username, passwordHash: 'scrypt$2', tenantId: null }));
      expect(error.code).toBe('HUB_ERR_API_BAD_REQUEST');
      expect(error.message).toBe(`admin username "${admin.username}" is already taken`);
      expect(error.details).toEqual({ field: 'username' });
      expect(await store.countAdmins()).toBe(before);
      expect(await store.getAdminByUsername(admin.username)).toEqual(admin);
    });

    test('a session is found until it expires, and not after delete', async () => {
      const admin = await store.createAdmin({ username: `s-${randomUUID()}`, passwordHash: 'h', tenantId: null });
      const session = {
        tokenHash: randomBytes(32).toString('hex'),
        adminId: admin.id,
        createdAt: '2030-01-01T00:00:00.000Z',
        expiresAt: '2030-01-01T01:00:00.000Z',
      };
      await store.createAdminSession(session);
      expect(await store.getAdminSession(session.tokenHash, '2030-01-01T00:59:59.999Z')).toEqual(session);
      expect(await store.getAdminSession(session.tokenHash, '2030-01-01T01:00:00.000Z')).toBeUndefined();
      expect(await store.getAdminSession('unknown', '2030-01-01T00:00:00.000Z')).toBeUndefined();
      await store.deleteAdminSession(session.tokenHash);
      expect(await store.getAdminSession(session.tokenHash, '2030-01-01T00:30:00.000Z')).toBeUndefined();
    });
  });

  describe('OAuth apps', () => {
    test('upsert inserts, then replaces the same row (no unique-constraint error)', async () => {
      const tenant = await newTenant();
      const first = await store.upsertOAuthApp({
        tenantId: tenant.id,
        connectorId: 'github',
        clientId: 'c1',
        clientSecret: null,
        scopes: ['repo', 'read:org'],
        redirectUri: 'http://a/cb',
      });
      expect(first).toEqual({
        id: expect.any(String),
        tenantId: tenant.id,
        connectorId: 'github',
        clientId: 'c1',
        clientSecret: null,
        scopes: ['repo', 'read:org'],
        redirectUri: 'http://a/cb',
        createdAt: expect.any(String),
        updatedAt: first.createdAt,
      });
      await tick();
      const second = await store.upsertOAuthApp({
        tenantId: tenant.id,
        connectorId: 'github',
        clientId: 'c2',
        clientSecret: 'v1.k.s',
        scopes: [],
        redirectUri: 'http://b/cb',
      });
      expect(second).toMatchObject({
        id: first.id,
        createdAt: first.createdAt,
        clientId: 'c2',
        clientSecret: 'v1.k.s',
        scopes: [],
        redirectUri: 'http://b/cb',
      });
      expect(second.updatedAt > first.updatedAt).toBe(true);
      expect(await store.getOAuthApp(tenant.id, 'github')).toEqual(second);
      expect(await store.listOAuthApps(tenant.id)).toEqual([second]);
    });

    test('list and delete', async () => {
      const tenant = await newTenant();
      const slack = await store.upsertOAuthApp({
        tenantId: tenant.id,
        connectorId: 'slack',
        clientId: 's',
        clientSecret: null,
        scopes: ['chat'],
        redirectUri: 'http://a/cb',
      });
      const asana = await store.upsertOAuthApp({
        tenantId: tenant.id,
        connectorId: 'asana',
        clientId: 'a',
        clientSecret: null,
        scopes: [],
        redirectUri: 'http://a/cb',
      });
      expect(await store.listOAuthApps(tenant.id)).toEqual([asana, slack]);
      expect(await store.deleteOAuthApp(tenant.id, 'slack')).toBe(true);
      expect(await store.deleteOAuthApp(tenant.id, 'slack')).toBe(false);
      expect(await store.getOAuthApp(tenant.id, 'slack')).toBeUndefined();
      expect(await store.listOAuthApps(tenant.id)).toEqual([asana]);
    });
  });

  describe('connections', () => {
    test('create with defaults, get, booleans round-trip as booleans', async () => {
      const tenant = await newTenant();
      const plain = await newConnection(tenant);
      expect(plain).toEqual({
        id: expect.any(String),
        tenantId: tenant.id,
        connectorId: 'github',
        userId: null,
        kind: 'oauth2',
        status: 'active',
        shared: false,
        label: null,
        secret: 'v1.k.iv.tag.secret',
        expiresAt: null,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const shared = await newConnection(tenant, { shared: true, label: 'Team', expiresAt: FUTURE, secret: null, status: 'pending' });
      expect(shared).toMatchObject({ shared: true, label: 'Team', expiresAt: FUTURE, secret: null, status: 'pending' });
      expect(await store.getConnection(tenant.id, shared.id)).toEqual(shared);
      expect(await store.getConnection(tenant.id, randomUUID())).toBeUndefined();
    });

    test('list filters by connector and owner (null: the tenant connection only)', async () => {
      const tenant = await newTenant();
      const team = await newConnection(tenant);
      await tick();
      const alice = await newConnection(tenant, { userId: 'alice' });
      await tick();
      const aliceSlack = await newConnection(tenant, { userId: 'alice', connectorId: 'slack' });
      expect(await store.listConnections(tenant.id)).toEqual([team, alice, aliceSlack]);
      expect(await store.listConnections(tenant.id, { connectorId: 'github' })).toEqual([team, alice]);
      expect(await store.listConnections(tenant.id, { userId: null })).toEqual([team]);
      expect(await store.listConnections(tenant.id, { userId: 'alice' })).toEqual([alice, aliceSlack]);
      expect(await store.listConnections(tenant.id, { userId: 'alice', connectorId: 'slack' })).toEqual([aliceSlack]);
    });

    test('findConnectionFor: own usable connection, newest first; the tenant one beside it', async () => {
      const tenant = await newTenant();
      const team = await newConnection(tenant, { shared: true });
      await newConnection(tenant, { userId: 'bob', status: 'revoked' });
      await newConnection(tenant, { userId: 'bob', status: 'pending' });
      expect(await store.findConnectionFor(tenant.id, 'github', 'bob')).toEqual({ own: undefined, tenant: team });

      const older = await newConnection(tenant, { userId: 'bob', status: 'needs_reauth' });
      expect((await store.findConnectionFor(tenant.id, 'github', 'bob')).own).toEqual(older);
      await tick();
      const newer = await newConnection(tenant, { userId: 'bob' });
      expect(await store.findConnectionFor(tenant.id, 'github', 'bob')).toEqual({ own: newer, tenant: team });
      expect(await store.findConnectionFor(tenant.id, 'github', null)).toEqual({ own: undefined, tenant: team });
      expect(await store.findConnectionFor(tenant.id, 'slack', 'bob')).toEqual({ own: undefined, tenant: undefined });
    });

    test('findConnectionFor never returns a pending or revoked tenant connection', async () => {
      const tenant = await newTenant();
      await newConnection(tenant, { status: 'pending' });
      const revoked = await newConnection(tenant);
      await store.setConnectionStatus(tenant.id, revoked.id, 'revoked');
      expect(await store.findConnectionFor(tenant.id, 'github', null)).toEqual({ own: undefined, tenant: undefined });
    });

    test('updateConnectionSecret is a compare-and-set on version: the second writer loses', async () => {
      const tenant = await newTenant();
      const connection = await newConnection(tenant);
      const update = { secret: 'v1.k.new', expiresAt: FUTURE, status: 'active' as const };
      const first = await store.updateConnectionSecret(tenant.id, connection.id, 1, update);
      expect(first).toMatchObject({ version: 2, secret: 'v1.k.new', expiresAt: FUTURE });
      expect(await store.updateConnectionSecret(tenant.id, connection.id, 1, { ...update, secret: 'v1.k.late' })).toBeUndefined();
      expect(await store.getConnection(tenant.id, connection.id)).toEqual(first);
      const third = await store.updateConnectionSecret(tenant.id, connection.id, 2, { secret: null, expiresAt: null, status: 'needs_reauth' });
      expect(third).toMatchObject({ version: 3, secret: null, expiresAt: null, status: 'needs_reauth' });
    });

    test('ten concurrent compare-and-sets on one version: exactly one succeeds', async () => {
      const tenant = await newTenant();
      const connection = await newConnection(tenant);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.updateConnectionSecret(tenant.id, connection.id, 1, { secret: `v1.k.${i}`, expiresAt: null, status: 'active' }),
        ),
      );
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.getConnection(tenant.id, connection.id)).toEqual(winners[0]);
      expect(winners[0]?.version).toBe(2);
    });

    test('status and sharing change without touching the version', async () => {
      const tenant = await newTenant();
      const connection = await newConnection(tenant);
      await tick();
      const shared = await store.setConnectionShared(tenant.id, connection.id, true);
      expect(shared).toMatchObject({ shared: true, version: 1 });
      expect(shared!.updatedAt > connection.updatedAt).toBe(true);
      expect(await store.setConnectionShared(tenant.id, connection.id, false)).toMatchObject({ shared: false });
      expect(await store.setConnectionStatus(tenant.id, connection.id, 'revoked')).toMatchObject({ status: 'revoked', version: 1 });
      expect(await store.setConnectionStatus(tenant.id, randomUUID(), 'active')).toBeUndefined();
      expect(await store.setConnectionShared(tenant.id, randomUUID(), true)).toBeUndefined();
    });
  });

  describe('pending OAuth authorisations', () => {
    test('a state is taken once', async () => {
      const connection = await newConnection(await newTenant(), { status: 'pending', secret: null, userId: 'carol' });
      const pending = pendingFor(connection);
      await store.createOAuthPending(pending);
      expect(await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:00:00.000Z')).toEqual(pending);
      expect(await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:00:00.000Z')).toBeUndefined();
      expect(await store.takeOAuthPending('unknown', '2030-01-01T00:00:00.000Z')).toBeUndefined();
    });

    test("a pending authorisation cannot point at another tenant's connection", async () => {
      const connection = await newConnection(await newTenant(), { status: 'pending', secret: null });
      const other = await newTenant();
      expect(String((await rejected(store.createOAuthPending(pendingFor(connection, { tenantId: other.id })))).message)).toMatch(/FOREIGN KEY|foreign key/);
    });

    test('an expired state is refused and consumed', async () => {
      const connection = await newConnection(await newTenant(), { status: 'pending', secret: null });
      const pending = pendingFor(connection, { expiresAt: '2030-01-01T00:10:00.000Z' });
      await store.createOAuthPending(pending);
      expect(await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:10:00.000Z')).toBeUndefined();
      // Gone, not merely filtered: even a clock before the expiry no longer finds it.
      expect(await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:00:00.000Z')).toBeUndefined();
    });
  });

  describe('agent keys', () => {
    test('create, find by hash, list; arrays and booleans round-trip', async () => {
      const tenant = await newTenant();
      const input = {
        tenantId: tenant.id,
        userId: 'dave',
        name: 'laptop',
        keyHash: randomBytes(32).toString('hex'),
        prefix: 'lsh_ab12',
        toolsets: ['github', 'github:issues'],
        readOnly: true,
        expiresAt: FUTURE,
      };
      const key = await store.createAgentKey(input);
      expect(key).toEqual({ ...input, id: expect.any(String), revokedAt: null, createdAt: expect.any(String), callsPerMinute: null });
      expect((await store.createAgentKey({ ...input, keyHash: randomBytes(32).toString('hex'), callsPerMinute: 60 })).callsPerMinute).toBe(60);
      const tenantKey = await store.createAgentKey({
        ...input,
        userId: null,
        keyHash: randomBytes(32).toString('hex'),
        toolsets: [],
        readOnly: false,
        expiresAt: null,
      });
      expect(tenantKey).toMatchObject({ userId: null, toolsets: [], readOnly: false, expiresAt: null });
      expect(await store.getAgentKeyByHash(input.keyHash)).toEqual(key);
      expect(await store.getAgentKeyByHash('unknown')).toBeUndefined();
      expect(
        (await store.listAgentKeys(tenant.id))
          .filter((k) => k.callsPerMinute === null)
          .map((k) => k.id)
          .sort(),
      ).toEqual([key.id, tenantKey.id].sort());
    });

    test('revoke keeps the first revocation time; a revoked key is still found by hash', async () => {
      const tenant = await newTenant();
      const key = await store.createAgentKey({
        tenantId: tenant.id,
        userId: null,
        name: 'ci',
        keyHash: randomBytes(32).toString('hex'),
        prefix: 'lsh_cd34',
        toolsets: [],
        readOnly: false,
        expiresAt: null,
      });
      const revoked = await store.revokeAgentKey(tenant.id, key.id, '2030-01-01T00:00:00.000Z');
      expect(revoked).toEqual({ ...key, revokedAt: '2030-01-01T00:00:00.000Z' });
      expect(await store.revokeAgentKey(tenant.id, key.id, '2030-02-01T00:00:00.000Z')).toEqual(revoked);
      expect(await store.getAgentKeyByHash(key.keyHash)).toEqual(revoked);
      expect(await store.revokeAgentKey(tenant.id, randomUUID(), '2030-01-01T00:00:00.000Z')).toBeUndefined();
    });
  });

  describe('audit', () => {
    let tenantA: Tenant;
    let tenantB: Tenant;
    const ids: Record<string, number> = {};
    const actor = `actor-${randomUUID()}`;

    beforeAll(async () => {
      tenantA = await newTenant();
      tenantB = await newTenant();
      const entries: Array<[string, NewAuditEntry]> = [
        ['a1', audit(tenantA.id, { at: '2030-01-01T00:00:01.000Z', actorId: actor, tool: 'github_list_issues' })],
        ['a2', audit(tenantA.id, { at: '2030-01-01T00:00:02.000Z', actorId: 'other', tool: 'slack_post', connectorId: 'slack' })],
        [
          'a3',
          audit(tenantA.id, {
            at: '2030-01-01T00:00:03.000Z',
            actorId: actor,
            actorKind: 'admin',
            action: 'key.revoke',
            tool: null,
            connectorId: null,
            upstreamStatus: null,
            durationMs: null,
            credentialOwner: null,
            outcome: 'denied',
            detail: 'key revoked',
          }),
        ],
        ['b1', audit(tenantB.id, { at: '2030-01-01T00:00:02.500Z', actorId: actor })],
      ];
      for (const [name, entry] of entries) ids[name] = (await store.appendAudit(entry)).id;
    });

    const idsOf = (entries: Array<{ id: number }>) => entries.map((entry) => entry.id);

    test('append returns the stored entry with a numeric id and a default time', async () => {
      const tenant = await newTenant();
      const before = new Date().toISOString();
      const entry = await store.appendAudit(audit(tenant.id, { durationMs: 12.6 }));
      expect(entry).toEqual({ ...audit(tenant.id), durationMs: 13, id: expect.any(Number), at: expect.any(String) });
      expect(entry.at >= before).toBe(true);
      expect(entry.id).toBeGreaterThan(ids.b1);
      expect(await store.queryAudit({ tenantId: tenant.id })).toEqual([entry]);
      expect(await store.appendAudit(audit(null, { actorKind: 'system', actorId: 'cli' }))).toMatchObject({ tenantId: null, actorKind: 'system' });
    });

    test.each([
      ['tenant, newest first', { tool: undefined }, ['a3', 'a2', 'a1']],
      ['actor', { actorId: actor }, ['a3', 'a1']],
      ['tool', { tool: 'slack_post' }, ['a2']],
      ['action', { action: 'key.revoke' }, ['a3']],
      ['since (inclusive)', { since: '2030-01-01T00:00:02.000Z' }, ['a3', 'a2']],
      ['until (exclusive)', { until: '2030-01-01T00:00:02.000Z' }, ['a1']],
      ['since and until', { since: '2030-01-01T00:00:01.000Z', until: '2030-01-01T00:00:03.000Z' }, ['a2', 'a1']],
      ['limit', { limit: 2 }, ['a3', 'a2']],
      ['a limit above the maximum is clamped, not refused', { limit: 5000 }, ['a3', 'a2', 'a1']],
    ])('query by %s', async (_name, filter, want) => {
      const got = await store.queryAudit({ tenantId: tenantA.id, until: '2030-01-02T00:00:00.000Z', ...filter });
      expect(idsOf(got)).toEqual(want.map((name) => ids[name]));
    });

    test('pages newest first with before', async () => {
      const query = { tenantId: tenantA.id, until: '2030-01-02T00:00:00.000Z', limit: 2 };
      const first = await store.queryAudit(query);
      const second = await store.queryAudit({ ...query, before: first[first.length - 1].id });
      expect(idsOf([...first, ...second])).toEqual([ids.a3, ids.a2, ids.a1]);
      expect(await store.queryAudit({ ...query, before: ids.a1 })).toEqual([]);
    });

    test('without a tenant id, every tenant is searched (ordered by id: b1 was written last)', async () => {
      expect(idsOf(await store.queryAudit({ actorId: actor }))).toEqual([ids.b1, ids.a3, ids.a1]);
      expect(idsOf(await store.queryAudit({ actorId: actor, tenantId: tenantB.id }))).toEqual([ids.b1]);
    });
  });

  describe('tenant isolation', () => {
    test("tenant B's id reaches none of tenant A's rows, even with their ids", async () => {
      const a = await newTenant();
      const b = await newTenant();
      const connection = await newConnection(a, { userId: 'erin' });
      const key = await store.createAgentKey({
        tenantId: a.id,
        userId: null,
        name: 'k',
        keyHash: randomBytes(32).toString('hex'),
        prefix: 'lsh_ef56',
        toolsets: [],
        readOnly: false,
        expiresAt: null,
      });
      const app = await store.upsertOAuthApp({
        tenantId: a.id,
        connectorId: 'github',
        clientId: 'c',
        clientSecret: 'v1.k.s',
        scopes: [],
        redirectUri: 'http://a/cb',
      });
      const entry = await store.appendAudit(audit(a.id));

      expect(await store.getConnection(b.id, connection.id)).toBeUndefined();
      expect(await store.listConnections(b.id)).toEqual([]);
      expect(await store.findConnectionFor(b.id, 'github', 'erin')).toEqual({ own: undefined, tenant: undefined });
      expect(await store.updateConnectionSecret(b.id, connection.id, 1, { secret: 'v1.k.stolen', expiresAt: null, status: 'active' })).toBeUndefined();
      expect(await store.setConnectionStatus(b.id, connection.id, 'revoked')).toBeUndefined();
      expect(await store.setConnectionShared(b.id, connection.id, true)).toBeUndefined();
      expect(await store.listAgentKeys(b.id)).toEqual([]);
      expect(await store.revokeAgentKey(b.id, key.id, '2030-01-01T00:00:00.000Z')).toBeUndefined();
      expect(await store.getOAuthApp(b.id, 'github')).toBeUndefined();
      expect(await store.listOAuthApps(b.id)).toEqual([]);
      expect(await store.deleteOAuthApp(b.id, 'github')).toBe(false);
      expect(await store.queryAudit({ tenantId: b.id })).toEqual([]);

      expect(await store.getConnection(a.id, connection.id)).toEqual(connection);
      expect(await store.listAgentKeys(a.id)).toEqual([key]);
      expect(await store.getOAuthApp(a.id, 'github')).toEqual(app);
      expect(await store.queryAudit({ tenantId: a.id })).toEqual([entry]);
    });
  });

  describe('sealed values', () => {
    async function sealedRows() {
      const tenant = await newTenant();
      const app = await store.upsertOAuthApp({
        tenantId: tenant.id,
        connectorId: 'github',
        clientId: 'c',
        clientSecret: `v1.old.app-${randomUUID()}`,
        scopes: [],
        redirectUri: 'http://a/cb',
      });
      const connection = await newConnection(tenant, { secret: `v1.old.conn-${randomUUID()}` });
      const empty = await newConnection(tenant, { secret: null, status: 'pending' });
      const pending = pendingFor(empty, { verifier: `v1.old.pkce-${randomUUID()}` });
      await store.createOAuthPending(pending);
      const refs = (await store.listSealedValues()).filter((ref) => [app.id, connection.id, empty.id, pending.stateHash].includes(ref.id));
      return { tenant, app, connection, empty, pending, refs };
    }

    test('every sealed value is listed (null ones are not)', async () => {
      const { app, connection, pending, refs } = await sealedRows();
      expect(refs).toHaveLength(3);
      expect(refs).toEqual(
        expect.arrayContaining([
          { table: 'oauth_apps', id: app.id, column: 'client_secret', value: app.clientSecret },
          { table: 'connections', id: connection.id, column: 'secret', value: connection.secret },
          { table: 'oauth_pending', id: pending.stateHash, column: 'verifier', value: pending.verifier },
        ]),
      );
    });

    test('replace writes every value in one go', async () => {
      const { tenant, app, connection, pending, refs } = await sealedRows();
      await store.replaceSealedValues(refs.map((ref) => ({ ref, value: ref.value.replace('v1.old.', 'v1.new.') })));
      expect((await store.getOAuthApp(tenant.id, 'github'))?.clientSecret).toBe(app.clientSecret!.replace('v1.old.', 'v1.new.'));
      expect(await store.getConnection(tenant.id, connection.id)).toEqual({ ...connection, secret: connection.secret!.replace('v1.old.', 'v1.new.') });
      expect((await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:00:00.000Z'))?.verifier).toBe(pending.verifier.replace('v1.old.', 'v1.new.'));
    });

    test('a stale ref fails the batch with HUB_ERR_STORE_CONFLICT and rolls back the others', async () => {
      const { tenant, app, connection, pending, refs } = await sealedRows();
      // A token refresh lands between listing and replacing.
      const refreshed = await store.updateConnectionSecret(tenant.id, connection.id, 1, { secret: 'v1.old.refreshed', expiresAt: null, status: 'active' });
      const order = ['oauth_apps', 'oauth_pending', 'connections'];
      const changes = [...refs].sort((x, y) => order.indexOf(x.table) - order.indexOf(y.table)).map((ref) => ({ ref, value: 'v1.new.x' }));
      const error = await rejected(store.replaceSealedValues(changes));
      expect(error.code).toBe('HUB_ERR_STORE_CONFLICT');
      expect(error.message).toContain(`connections row ${connection.id}`);
      expect((await store.getOAuthApp(tenant.id, 'github'))?.clientSecret).toBe(app.clientSecret);
      expect(await store.getConnection(tenant.id, connection.id)).toEqual(refreshed);
      expect((await store.takeOAuthPending(pending.stateHash, '2030-01-01T00:00:00.000Z'))?.verifier).toBe(pending.verifier);
    });

    test('a ref naming a column its table does not seal is refused before any SQL', async () => {
      const { refs } = await sealedRows();
      const error = await rejected(store.replaceSealedValues([{ ref: { ...refs[0], table: 'oauth_pending', column: 'secret' }, value: 'v1.new.x' }]));
      expect(error.code).toBe('HUB_ERR_INTERNAL');
    });
  });
});

describe('openStore failures', () => {
  test('an unreachable PostgreSQL gives HUB_ERR_STORE_UNAVAILABLE naming the URL without its password', async () => {
    const error = await rejected(openStore({ kind: 'postgres', url: 'postgres://hub:s3cret@127.0.0.1:1/test' }));
    expect(error.code).toBe('HUB_ERR_STORE_UNAVAILABLE');
    expect(error.message).toContain('postgres://***@127.0.0.1:1/test');
    expect(error.message).toContain('ECONNREFUSED');
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('s3cret');
  });

  test('a SQLite file in a missing folder gives HUB_ERR_STORE_UNAVAILABLE naming the file', async () => {
    const file = path.join(os.tmpdir(), `hub-missing-${randomUUID()}`, 'hub.sqlite');
    const error = await rejected(openStore({ kind: 'sqlite', file }));
    expect(error.code).toBe('HUB_ERR_STORE_UNAVAILABLE');
    expect(error.message).toContain(file);
  });

  test('a schema name that is not a plain identifier is refused before connecting', async () => {
    const error = await rejected(openStore({ kind: 'postgres', url: PG_URL, schema: 'x"; drop schema public; --' }));
    expect(error.code).toBe('HUB_ERR_CONFIG_USAGE');
  });
});

describe('SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hub-store-file-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the data dir is created 0700, the database file 0600, in WAL mode', async () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const config = storeConfigFrom(dataDir, {});
    expect(config).toEqual({ kind: 'sqlite', file: path.join(dataDir, 'hub.sqlite') });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const store = await openStore(config);
    await store.close();
    expect(statSync(path.join(dataDir, 'hub.sqlite')).mode & 0o777).toBe(0o600);
    const raw = new BetterSqlite3(path.join(dataDir, 'hub.sqlite'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  test("':memory:' works for tests", async () => {
    const store = await openStore({ kind: 'sqlite', file: ':memory:' });
    try {
      const tenant = await store.createTenant('memory');
      expect(await store.getTenant(tenant.id)).toEqual(tenant);
    } finally {
      await store.close();
    }
  });
});

describe('storeConfigFrom', () => {
  const dataDir = path.join(os.tmpdir(), `hub-env-${randomUUID()}`);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test.each([
    ['unset: SQLite under the data dir', {}, { kind: 'sqlite', file: path.join(dataDir, 'hub.sqlite') }],
    ['empty: as unset', { url: '' }, { kind: 'sqlite', file: path.join(dataDir, 'hub.sqlite') }],
    ['postgres://', { url: 'postgres://hub@db:5432/hub' }, { kind: 'postgres', url: 'postgres://hub@db:5432/hub' }],
    [
      'postgresql:// with a schema',
      { url: 'postgresql://hub:pw@db/hub', schema: 'lunar' },
      { kind: 'postgres', url: 'postgresql://hub:pw@db/hub', schema: 'lunar' },
    ],
  ])('%s', (_name, settings, want) => {
    expect(storeConfigFrom(dataDir, settings)).toEqual(want);
  });

  test.each([
    ['another scheme', { url: 'mysql://hub:s3cret@db/hub' }, 'LUNAR_DATABASE_URL'],
    ['an unparsable URL', { url: 'hub:s3cret at db' }, 'LUNAR_DATABASE_URL'],
    ['a schema without a URL', { schema: 'lunar' }, 'LUNAR_DATABASE_SCHEMA'],
    ['an invalid schema name', { url: 'postgres://hub:s3cret@db/hub', schema: 'Lunar-Hub' }, 'LUNAR_DATABASE_SCHEMA'],
  ])('refuses %s with HUB_ERR_CONFIG_USAGE naming the variable, never the password', (_name, settings, variable) => {
    let error: unknown;
    try {
      storeConfigFrom(dataDir, settings);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'HUB_ERR_CONFIG_USAGE', message: expect.stringContaining(variable) });
    expect((error as Error).message).not.toContain('s3cret');
  });
});
