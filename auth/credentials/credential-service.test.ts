/**
 * Which connection a call uses, and token renewal: single flight in one process, a
 * lease across processes (two services on one store stand in for two hub processes),
 * on both real stores. The refresher is a counting stand-in here; the end-to-end suite
 * (test/auth/credentials.e2e.test.ts) renews against a real authorisation server.
 */
import { randomBytes } from 'node:crypto';
import { rejected } from '../../test/helpers/errors';
import { postgresBackend, sqliteBackend, type Backend } from '../../test/helpers/stores';
import { SecretBox } from '../crypto/secret-box';
import type { Principal } from '../principal';
import { openStore, type HubStore, type Tenant } from '../../store';
import type { UpstreamScheme } from '../upstream/schemes';
import { errors } from '../../errors';
import { CredentialService, type TokenRefresher } from './credential-service';
import type { CredentialPayload } from '../upstream/payload';

const OAUTH: UpstreamScheme = {
  type: 'oauth2',
  prefix: 'Bearer',
  oauth: { tokenUrl: 'https://id.example.com/token', scopes: [], flows: ['authorizationCode'] },
};
const BEARER: UpstreamScheme = { type: 'bearer', prefix: 'Bearer' };
const box = new SecretBox(randomBytes(32));

describe.each<[string, () => Backend]>([
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
])('CredentialService on %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: HubStore;
  let second: HubStore;
  let tenant: Tenant;

  beforeAll(async () => {
    backend = makeBackend();
    store = await openStore(backend.config);
    // A second store object on the same database: another hub process.
    second = await openStore(backend.config);
    tenant = await store.createTenant(`t-${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await store?.close();
    await second?.close();
    await backend?.cleanup();
  });

  const principal = (userId: string | null = null): Principal => ({
    tenantId: tenant.id,
    tenantName: tenant.name,
    userId,
    agentId: 'test',
    via: 'key',
    toolsets: [],
    readOnly: false,
  });

  async function connection(
    connectorId: string,
    payload: CredentialPayload,
    extra: { userId?: string; shared?: boolean; status?: 'active' | 'needs_reauth' } = {},
  ) {
    return store.createConnection({
      tenantId: tenant.id,
      connectorId,
      userId: extra.userId ?? null,
      kind: payload.kind,
      status: extra.status ?? 'active',
      shared: extra.shared ?? false,
      secret: box.sealJson(payload),
      expiresAt: payload.kind === 'oauth2' ? (payload.expiresAt ?? null) : null,
    });
  }

  const expiring = (token: string): CredentialPayload => ({
    kind: 'oauth2',
    accessToken: token,
    tokenType: 'Bearer',
    refreshToken: `refresh-of-${token}`,
    obtainedAt: new Date(Date.now() - 3_600_000).toISOString(),
    expiresAt: new Date(Date.now() + 5_000).toISOString(),
  });

  function countingRefresher(delayMs = 50): TokenRefresher & { calls: Array<{ refreshToken?: string; grant: string }> } {
    const calls: Array<{ refreshToken?: string; grant: string }> = [];
    const refresher = (async (input) => {
      calls.push({ refreshToken: input.refreshToken, grant: input.grant });
      await new Promise((r) => setTimeout(r, delayMs));
      return {
        accessToken: `fresh-${calls.length}`,
        tokenType: 'Bearer',
        refreshToken: `rotated-${calls.length}`,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
    }) as TokenRefresher & { calls: typeof calls };
    refresher.calls = calls;
    return refresher;
  }

  it("uses a user's own connection, else the tenant's only when shared; says how to fix what is missing", async () => {
    await connection('docs', { kind: 'bearer', token: 'tenant-token' });
    await connection('docs', { kind: 'bearer', token: 'carol-token' }, { userId: 'carol' });
    const service = new CredentialService(store, box);
    expect((await service.forCall(principal(), 'docs', BEARER)).payload).toMatchObject({ token: 'tenant-token' });
    expect(await service.forCall(principal('carol'), 'docs', BEARER)).toMatchObject({ payload: { token: 'carol-token' }, owner: 'user:carol' });
    const missing = await rejected(service.forCall(principal('dan'), 'docs', BEARER));
    expect(missing.code).toBe('HUB_ERR_CRED_MISSING');
    expect(missing.message).toContain('not shared with its users');
    expect(missing.message).toContain(`--user dan --connector docs --kind bearer`);
    const noneAtAll = await rejected(service.forCall(principal(), 'absent', BEARER));
    expect(noneAtAll.message).toContain(`lunar-hub connections add --tenant ${tenant.name} --connector absent --kind bearer`);

    await connection('wiki', { kind: 'bearer', token: 'shared-token' }, { shared: true });
    expect(await service.forCall(principal('dan'), 'wiki', BEARER)).toMatchObject({ payload: { token: 'shared-token' }, owner: 'tenant' });
  });

  it('refuses a connection of the wrong kind and one that needs an admin', async () => {
    await connection('keyed', { kind: 'api_key', apiKey: 'k' });
    const service = new CredentialService(store, box);
    const wrongKind = await rejected(service.forCall(principal(), 'keyed', BEARER));
    expect(wrongKind.code).toBe('HUB_ERR_CRED_SCHEME');
    // Issue 14 (13): the way out that keeps the connection is to pick the spec's other scheme.
    expect(wrongKind.message).toContain('`auth.scheme` in the connector file');
    const broken = await connection('broken', expiring('old'), { status: 'needs_reauth' });
    const reauth = await rejected(service.forCall(principal(), 'broken', OAUTH));
    expect(reauth.code).toBe('HUB_ERR_CRED_NEEDS_REAUTH');
    expect(reauth.message).toContain(`lunar-hub connections reconnect ${broken.id}`);
  });

  it('100 concurrent calls on an expiring token: one refresh, one new token for all, the rotated refresh token saved', async () => {
    const made = await connection('burst', expiring('stale'));
    const refresher = countingRefresher();
    const service = new CredentialService(store, box, { refresher });
    const results = await Promise.all(Array.from({ length: 100 }, () => service.forCall(principal(), 'burst', OAUTH)));
    expect(refresher.calls).toEqual([{ refreshToken: 'refresh-of-stale', grant: 'refresh_token' }]);
    expect(new Set(results.map((r) => (r.payload as { accessToken: string }).accessToken))).toEqual(new Set(['fresh-1']));
    const saved = box.openJson<CredentialPayload>((await store.getConnection(tenant.id, made.id))!.secret!);
    expect(saved).toMatchObject({ accessToken: 'fresh-1', refreshToken: 'rotated-1' });
    expect(saved).not.toHaveProperty('renewingUntil');
  });

  it('two processes renewing the same connection present its refresh token once', async () => {
    await connection('shared-row', expiring('stale2'));
    const refresher = countingRefresher(200);
    const a = new CredentialService(store, box, { refresher });
    const b = new CredentialService(second, box, { refresher });
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => a.forCall(principal(), 'shared-row', OAUTH)),
      ...Array.from({ length: 20 }, () => b.forCall(principal(), 'shared-row', OAUTH)),
    ]);
    expect(refresher.calls).toHaveLength(1);
    expect(new Set(results.map((r) => (r.payload as { accessToken: string }).accessToken)).size).toBe(1);
  });

  it('a refused refresh marks the connection needs_reauth; a network failure releases the claim for the next call', async () => {
    const made = await connection('refused', expiring('stale3'));
    const refusing = new CredentialService(store, box, {
      refresher: async () => {
        throw errors.OAUTH_EXCHANGE(['https://id.example.com', 'refresh token', 'invalid_grant: grant request is invalid']);
      },
    });
    const error = await rejected(refusing.forCall(principal(), 'refused', OAUTH));
    expect(error.code).toBe('HUB_ERR_CRED_NEEDS_REAUTH');
    expect(error.message).toContain('invalid_grant');
    expect((await store.getConnection(tenant.id, made.id))!.status).toBe('needs_reauth');

    await connection('flaky', expiring('stale4'));
    let failures = 0;
    const flaky = new CredentialService(store, box, {
      refresher: async (input) => {
        if (failures++ === 0) throw errors.OAUTH_EXCHANGE(['https://id.example.com', 'refresh token', 'cannot reach it: ECONNRESET']);
        return { accessToken: `after-${input.refreshToken}`, tokenType: 'Bearer', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
      },
    });
    expect((await rejected(flaky.forCall(principal(), 'flaky', OAUTH))).code).toBe('HUB_ERR_OAUTH_EXCHANGE');
    // No 15 s wait for a lapsed claim: the failed attempt gave it back.
    const started = Date.now();
    expect((await flaky.forCall(principal(), 'flaky', OAUTH)).payload).toMatchObject({
      accessToken: 'after-refresh-of-stale4',
      refreshToken: 'refresh-of-stale4',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refreshes ahead of expiry by at most half a short-lived token's life; client-credentials connections get a new token by that grant", async () => {
    const now = Date.now();
    const refresher = countingRefresher(0);
    const service = new CredentialService(store, box, { refresher });
    // Lives 10 s, 6 s left: outside half its life, not renewed although under the 60 s default.
    await connection('short', {
      kind: 'oauth2',
      accessToken: 'short',
      tokenType: 'Bearer',
      refreshToken: 'r',
      obtainedAt: new Date(now - 4_000).toISOString(),
      expiresAt: new Date(now + 6_000).toISOString(),
    });
    expect((await service.forCall(principal(), 'short', OAUTH)).payload).toMatchObject({ accessToken: 'short' });
    expect(refresher.calls).toHaveLength(0);
    await connection('machine', {
      kind: 'oauth2',
      accessToken: 'cc',
      tokenType: 'Bearer',
      grant: 'client_credentials',
      obtainedAt: new Date(now - 3_590_000).toISOString(),
      expiresAt: new Date(now + 10_000).toISOString(),
    });
    expect((await service.forCall(principal(), 'machine', OAUTH)).payload).toMatchObject({ accessToken: 'fresh-1', grant: 'client_credentials' });
    expect(refresher.calls).toEqual([{ refreshToken: undefined, grant: 'client_credentials' }]);
  });
});
