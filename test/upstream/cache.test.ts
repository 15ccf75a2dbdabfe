/**
 * The cache stage over the real terminal (undici) against a real loopback upstream that
 * counts what reaches it: HTTP's rules, the connector's settings, isolation between
 * tenants and connections, invalidation by mutations, purge. docs/caching.md.
 */
import type http from 'node:http';
import { composeExchange, type Exchange, type ExchangeRequest } from '../../gateway/upstream/exchange';
import { closeAgents, undiciExchange } from '../../gateway/upstream/undici-exchange';
import { createCacheStage, type CacheStage, type CacheStageOptions } from '../../gateway/upstream/cache';
import { BoundedMap } from '../../gateway/upstream/cache-store';
import { parentPath, normalisePath } from '../../gateway/upstream/cache-key';
import { DEFAULT_UPSTREAM_POLICY, type CachePolicy, type ConnectorRuntime } from '../../gateway/core';
import { startUpstream, type SeenRequest, type Upstream } from '../helpers/upstream';

let upstream: Upstream;
let stages: CacheStage[] = [];
let clock = Date.now();
const now = () => clock;

beforeAll(async () => {
  upstream = await startUpstream({}, (_req, res) => void res.writeHead(404).end());
});
afterAll(async () => {
  await upstream.close();
  await closeAgents();
});
beforeEach(() => {
  upstream.seen.length = 0;
  clock = Date.now();
});
afterEach(async () => {
  await Promise.all(stages.map((s) => s.close()));
  stages = [];
});

function connector(cache: Partial<CachePolicy> = {}, extra: Partial<ConnectorRuntime> = {}, id = 'gh'): ConnectorRuntime {
  return {
    id,
    baseUrl: upstream.url,
    allowedHosts: [new URL(upstream.url).host],
    timeouts: { connectMs: 2_000, headersMs: 5_000, bodyMs: 5_000 },
    maxResponseBytes: 1_048_576,
    policy: { ...DEFAULT_UPSTREAM_POLICY, cache: { ...DEFAULT_UPSTREAM_POLICY.cache, ...cache } },
    ...extra,
  };
}

interface Call {
  method?: string;
  headers?: Record<string, string>;
  tenantId?: string | null;
  connectionId?: string | null;
  connector?: ConnectorRuntime;
  body?: string;
}

function request(path: string, call: Call = {}): ExchangeRequest {
  const c = call.connector ?? connector();
  const tenantId = call.tenantId === undefined ? 't1' : call.tenantId;
  const connectionId = call.connectionId === undefined ? 'conn-1' : call.connectionId;
  return {
    method: call.method ?? 'GET',
    url: upstream.url + path,
    headers: call.headers ?? {},
    ...(call.body !== undefined ? { body: call.body } : {}),
    signal: new AbortController().signal,
    connector: c,
    scope: {
      connectorId: c.id,
      tool: 'tool',
      operation: `${call.method ?? 'GET'} ${path}`,
      ...(tenantId !== null ? { tenantId } : {}),
      ...(connectionId !== null ? { connectionId } : {}),
    },
  };
}

function exchange(options: CacheStageOptions = {}): Exchange {
  const cache = createCacheStage({ now, ...options });
  stages.push(cache);
  return composeExchange([cache.stage], undiciExchange);
}

/** Each answer says how many times the route was hit, so a cached answer is told from a new one. */
function counted(
  headers: Record<string, string> | ((req: SeenRequest) => Record<string, string>),
  body: (n: number, req: SeenRequest) => string = (n) => `answer ${n}`,
) {
  let n = 0;
  return (req: SeenRequest, res: http.ServerResponse) => {
    n++;
    const h = typeof headers === 'function' ? headers(req) : headers;
    res.writeHead(200, { 'content-type': 'text/plain', ...h }).end(req.method === 'HEAD' ? undefined : body(n, req));
  };
}

const hits = (path: string) => upstream.seen.filter((r) => new URL(r.url, 'http://x').pathname === path).length;
const text = (response: { body: Buffer }) => response.body.toString();

describe('cache stage: HTTP semantics', () => {
  it('answers a fresh GET from the cache: the second is not sent', async () => {
    upstream.route('GET /fresh', counted({ 'cache-control': 'max-age=60' }));
    const send = exchange();
    const first = await send(request('/fresh'));
    const second = await send(request('/fresh'));
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(text(second)).toBe('answer 1');
    expect(second).toMatchObject({ status: 200, attempts: 0, truncated: false });
    expect(second.headers['content-type']).toBe('text/plain');
    expect(hits('/fresh')).toBe(1);
  });

  it('goes upstream again once max-age has passed', async () => {
    upstream.route('GET /short', counted({ 'cache-control': 'max-age=10' }));
    const send = exchange();
    await send(request('/short'));
    clock += 5_000;
    const within = await send(request('/short'));
    expect(within.cache).toBe('hit');
    expect(within.headers.age).toBe('5');
    clock += 6_000;
    const after = await send(request('/short'));
    expect(after.cache).toBe('miss');
    expect(text(after)).toBe('answer 2');
    expect(hits('/short')).toBe(2);
  });

  it('honours Expires when there is no max-age', async () => {
    upstream.route(
      'GET /expires',
      counted(() => ({ expires: new Date(Date.now() + 30_000).toUTCString() })),
    );
    const send = exchange();
    await send(request('/expires'));
    clock += 20_000;
    expect((await send(request('/expires'))).cache).toBe('hit');
    clock += 15_000;
    expect((await send(request('/expires'))).cache).toBe('miss');
    expect(hits('/expires')).toBe(2);
  });

  it('never stores no-store answers', async () => {
    upstream.route('GET /secret', counted({ 'cache-control': 'no-store, max-age=60' }));
    const send = exchange();
    const results = [await send(request('/secret')), await send(request('/secret'))];
    expect(results.map((r) => r.cache)).toEqual(['miss', 'miss']);
    expect(hits('/secret')).toBe(2);
  });

  it('is a private cache: keeps `private` answers to requests with Authorization, ignores s-maxage', async () => {
    upstream.route('GET /mine', counted({ 'cache-control': 'private, max-age=60' }));
    upstream.route('GET /proxies-only', counted({ 'cache-control': 's-maxage=60' }));
    const send = exchange();
    const auth = { headers: { authorization: 'Bearer tok-1' } };
    await send(request('/mine', auth));
    expect((await send(request('/mine', auth))).cache).toBe('hit');
    expect(hits('/mine')).toBe(1);
    // s-maxage is for shared caches: to a private one this answer gives no freshness (and defaultTtlSeconds is 0).
    await send(request('/proxies-only', auth));
    expect((await send(request('/proxies-only', auth))).cache).toBe('miss');
    expect(hits('/proxies-only')).toBe(2);
    // Beside max-age it does not stretch the freshness either: stale after 5 s, not 60.
    upstream.route('GET /both', counted({ 'cache-control': 'max-age=5, s-maxage=60' }));
    await send(request('/both', auth));
    clock += 6_000;
    expect((await send(request('/both', auth))).cache).toBe('miss');
    expect(hits('/both')).toBe(2);
  });

  it('keeps the request headers Vary names and answers only a request that matches them', async () => {
    upstream.route(
      'GET /negotiated',
      counted({ 'cache-control': 'max-age=60', vary: 'Accept, Authorization' }, (n, req) => `${req.headers.accept} ${n}`),
    );
    const send = exchange();
    const as = (accept: string, token = 'tok-a') => request('/negotiated', { headers: { accept, authorization: `Bearer ${token}` } });
    expect(text(await send(as('text/a')))).toBe('text/a 1');
    const again = await send(as('text/a'));
    expect([again.cache, text(again)]).toEqual(['hit', 'text/a 1']);
    const other = await send(as('text/b'));
    expect([other.cache, text(other)]).toEqual(['miss', 'text/b 2']);
    expect((await send(as('text/b'))).cache).toBe('hit');
    // Another token is another variant (Vary: Authorization), matched by hash: the token itself is not kept.
    expect((await send(as('text/b', 'tok-b'))).cache).toBe('miss');
    expect(hits('/negotiated')).toBe(3);
  });

  it('revalidates a stale entry with If-None-Match: a 304 refreshes it and returns the stored body', async () => {
    let version = 'v1';
    upstream.route('GET /etag', (req, res) => {
      const etag = `"${version}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag, 'cache-control': 'max-age=10' }).end();
      res.writeHead(200, { etag, 'cache-control': 'max-age=10', 'content-type': 'application/json' }).end(JSON.stringify({ version }));
    });
    const send = exchange();
    expect((await send(request('/etag'))).cache).toBe('miss');
    clock += 11_000;
    const revalidated = await send(request('/etag'));
    expect(upstream.seen.at(-1)!.headers['if-none-match']).toBe('"v1"');
    expect(revalidated).toMatchObject({ status: 200, cache: 'revalidated', attempts: 1 });
    expect(JSON.parse(text(revalidated))).toEqual({ version: 'v1' });
    expect(revalidated.headers['content-type']).toBe('application/json');
    // The 304 made it fresh again.
    clock += 5_000;
    expect((await send(request('/etag'))).cache).toBe('hit');
    expect(hits('/etag')).toBe(2);
    // Changed upstream: the conditional request gets a full answer, which replaces the entry.
    version = 'v2';
    clock += 11_000;
    const changed = await send(request('/etag'));
    expect([changed.cache, JSON.parse(text(changed)).version]).toEqual(['miss', 'v2']);
    expect((await send(request('/etag'))).cache).toBe('hit');
    expect(hits('/etag')).toBe(3);
  });

  it('revalidates with If-Modified-Since when the answer has only Last-Modified', async () => {
    const modified = new Date(Date.now() - 3_600_000).toUTCString();
    upstream.route('GET /dated', (req, res) => {
      if (req.headers['if-modified-since'] === modified) return void res.writeHead(304, { 'last-modified': modified }).end();
      res.writeHead(200, { 'last-modified': modified, 'cache-control': 'max-age=5' }).end('dated body');
    });
    const send = exchange();
    await send(request('/dated'));
    clock += 6_000;
    const revalidated = await send(request('/dated'));
    expect(upstream.seen.at(-1)!.headers['if-modified-since']).toBe(modified);
    expect([revalidated.status, revalidated.cache, text(revalidated)]).toEqual([200, 'revalidated', 'dated body']);
    expect(hits('/dated')).toBe(2);
  });

  it('stores an answer that asks for revalidation every time (no-cache + ETag) and revalidates it', async () => {
    upstream.route('GET /always', (req, res) => {
      if (req.headers['if-none-match'] === '"a"') return void res.writeHead(304, { etag: '"a"' }).end();
      res.writeHead(200, { etag: '"a"', 'cache-control': 'no-cache' }).end('always');
    });
    const send = exchange();
    await send(request('/always'));
    const second = await send(request('/always'));
    expect([second.cache, text(second)]).toEqual(['revalidated', 'always']);
  });

  it('caches HEAD on its own', async () => {
    upstream.route('HEAD /head', counted({ 'cache-control': 'max-age=60', 'x-total': '42' }));
    const send = exchange();
    const first = await send(request('/head', { method: 'HEAD' }));
    const second = await send(request('/head', { method: 'HEAD' }));
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.headers['x-total']).toBe('42');
    expect(second.body.length).toBe(0);
    expect(upstream.seen.filter((r) => r.method === 'HEAD')).toHaveLength(1);
  });

  it("passes through what it must not answer: other methods, a caller's own conditional or range request", async () => {
    upstream.route('GET /fresh2', counted({ 'cache-control': 'max-age=60' }));
    const send = exchange();
    await send(request('/fresh2'));
    expect((await send(request('/fresh2', { headers: { range: 'bytes=0-1' } }))).cache).toBe('bypass');
    expect((await send(request('/fresh2', { headers: { 'if-none-match': '"x"' } }))).cache).toBe('bypass');
    expect((await send(request('/fresh2', { method: 'OPTIONS' }))).cache).toBe('bypass');
    expect((await send(request('/fresh2'))).cache).toBe('hit');
  });
});

describe('cache stage: keys never cross tenants or connections', () => {
  it('gives the same URL its own upstream answer per tenant, per connection, and anonymously', async () => {
    upstream.route('GET /shared-url', counted({ 'cache-control': 'private, max-age=60' }));
    const send = exchange();
    const callers: Call[] = [
      { tenantId: 't1', connectionId: 'conn-1' },
      { tenantId: 't1', connectionId: 'conn-2' },
      { tenantId: 't2', connectionId: 'conn-3' },
      { tenantId: 't2', connectionId: null },
      { tenantId: null, connectionId: null },
    ];
    const first = [];
    for (const caller of callers) first.push(text(await send(request('/shared-url', caller))));
    expect(first).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
    for (const [i, caller] of callers.entries()) {
      const again = await send(request('/shared-url', caller));
      expect([again.cache, text(again)]).toEqual(['hit', first[i]]);
    }
    expect(hits('/shared-url')).toBe(5);
  });
});

describe("cache stage: the connector's settings", () => {
  it('defaultTtlSeconds gives freshness to answers that say nothing; 0 keeps them out', async () => {
    upstream.route('GET /silent', counted({}));
    const off = exchange();
    await off(request('/silent'));
    expect((await off(request('/silent'))).cache).toBe('miss');
    expect(hits('/silent')).toBe(2);

    const on = exchange();
    const c = connector({ defaultTtlSeconds: 30 });
    await on(request('/silent', { connector: c }));
    clock += 20_000;
    expect((await on(request('/silent', { connector: c }))).cache).toBe('hit');
    clock += 11_000;
    expect((await on(request('/silent', { connector: c }))).cache).toBe('miss');
    expect(hits('/silent')).toBe(4);
  });

  it('an absurd max-age or stale-if-error keeps an entry no longer than its generations live', async () => {
    upstream.route('GET /forever', counted({ 'cache-control': 'max-age=99999999999999999999, stale-if-error=31536000' }));
    const errors: unknown[] = [];
    const send = exchange({ onError: (e) => errors.push(e) });
    await send(request('/forever'));
    expect((await send(request('/forever'))).cache).toBe('hit');
    expect(errors).toEqual([]);
  });

  it("maxTtlSeconds caps the upstream's freshness", async () => {
    upstream.route('GET /long', counted({ 'cache-control': 'max-age=3600' }));
    const send = exchange();
    const c = connector({ maxTtlSeconds: 10 });
    await send(request('/long', { connector: c }));
    clock += 8_000;
    expect((await send(request('/long', { connector: c }))).cache).toBe('hit');
    clock += 3_000;
    expect((await send(request('/long', { connector: c }))).cache).toBe('miss');
    expect(hits('/long')).toBe(2);
  });

  it('does not store truncated bodies nor bodies above maxEntryBytes', async () => {
    upstream.route(
      'GET /big',
      counted({ 'cache-control': 'max-age=60' }, (n) => `${n}`.padEnd(400, '.')),
    );
    const send = exchange();
    const cut = connector({}, { maxResponseBytes: 100 });
    const first = await send(request('/big', { connector: cut }));
    expect(first.truncated).toBe(true);
    expect((await send(request('/big', { connector: cut }))).cache).toBe('miss');

    const small = connector({ maxEntryBytes: 399 });
    await send(request('/big', { connector: small }));
    expect((await send(request('/big', { connector: small }))).cache).toBe('miss');

    const fits = connector({ maxEntryBytes: 400 });
    await send(request('/big', { connector: fits }));
    expect((await send(request('/big', { connector: fits }))).cache).toBe('hit');
    expect(hits('/big')).toBe(5);
  });

  it('enabled: false leaves every call alone', async () => {
    upstream.route('GET /off', counted({ 'cache-control': 'max-age=60' }));
    const send = exchange();
    const c = connector({ enabled: false });
    const results = [await send(request('/off', { connector: c })), await send(request('/off', { connector: c }))];
    expect(results.map((r) => r.cache)).toEqual(['bypass', 'bypass']);
    expect(hits('/off')).toBe(2);
  });
});

describe('cache stage: invalidation by mutations', () => {
  beforeEach(() => {
    upstream.route('GET /repos/o/r/issues/5', counted({ 'cache-control': 'private, max-age=60' }));
    upstream.route('GET /repos/o/r/issues', counted({ 'cache-control': 'private, max-age=60' }));
    upstream.route('GET /repos/o/r/pulls', counted({ 'cache-control': 'private, max-age=60' }));
    upstream.route('PATCH /repos/o/r/issues/5', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    upstream.route('PATCH /repos/o/r/issues/6', (_req, res) => void res.writeHead(422).end('{}'));
  });

  it('a successful PATCH drops the cached GETs of its path and its collection (any query), for its tenant+connection', async () => {
    const send = exchange();
    const reads = ['/repos/o/r/issues/5', '/repos/o/r/issues?state=open', '/repos/o/r/issues', '/repos/o/r/pulls'];
    const other: Call = { tenantId: 't1', connectionId: 'conn-2' };
    for (const path of reads) await send(request(path));
    await send(request('/repos/o/r/issues/5', other));
    for (const path of reads) expect((await send(request(path))).cache).toBe('hit');

    const patch = await send(request('/repos/o/r/issues/5', { method: 'PATCH', body: '{"state":"closed"}', headers: { 'content-type': 'application/json' } }));
    expect([patch.status, patch.cache]).toEqual([200, 'bypass']);

    const after = await Promise.all(reads.map(async (path) => (await send(request(path))).cache));
    expect(after).toEqual(['miss', 'miss', 'miss', 'hit']);
    // Not invalidated (docs/caching.md): the same path through another connection.
    expect((await send(request('/repos/o/r/issues/5', other))).cache).toBe('hit');
  });

  it('a failed mutation invalidates nothing', async () => {
    const send = exchange();
    await send(request('/repos/o/r/issues'));
    const failed = await send(request('/repos/o/r/issues/6', { method: 'PATCH', body: '{}' }));
    expect(failed.status).toBe(422);
    expect((await send(request('/repos/o/r/issues'))).cache).toBe('hit');
  });
});

describe('cache stage: purge', () => {
  it("drops the entries of a connection, a tenant, a tenant's connector, a connector, then everything", async () => {
    upstream.route('GET /p', counted({ 'cache-control': 'private, max-age=60' }));
    const cache = createCacheStage({ now });
    stages.push(cache);
    const send = composeExchange([cache.stage], undiciExchange);
    const gl = connector({}, {}, 'gl');
    const callers: Record<string, Call> = {
      a: { tenantId: 't1', connectionId: 'conn-1' },
      b: { tenantId: 't1', connectionId: 'conn-2' },
      c: { tenantId: 't2', connectionId: 'conn-3' },
      d: { tenantId: 't2', connectionId: 'conn-4', connector: gl },
      e: { tenantId: 't3', connectionId: 'conn-5', connector: gl },
      f: { tenantId: 't4', connectionId: 'conn-6' },
    };
    const warm = async () => {
      for (const caller of Object.values(callers)) await send(request('/p', caller));
    };
    const state = async () => {
      const out: Record<string, string | undefined> = {};
      for (const [name, caller] of Object.entries(callers)) out[name] = (await send(request('/p', caller))).cache;
      return out;
    };
    await warm();
    expect(Object.values(await state()).every((s) => s === 'hit')).toBe(true);

    await cache.purge({ tenantId: 't1', connectionId: 'conn-1' });
    expect(await state()).toEqual({ a: 'miss', b: 'hit', c: 'hit', d: 'hit', e: 'hit', f: 'hit' });

    await cache.purge({ tenantId: 't2', connectorId: 'gh' });
    expect(await state()).toEqual({ a: 'hit', b: 'hit', c: 'miss', d: 'hit', e: 'hit', f: 'hit' });

    await cache.purge({ tenantId: 't1' });
    expect(await state()).toEqual({ a: 'miss', b: 'miss', c: 'hit', d: 'hit', e: 'hit', f: 'hit' });

    await cache.purge({ connectorId: 'gl' });
    expect(await state()).toEqual({ a: 'hit', b: 'hit', c: 'hit', d: 'miss', e: 'miss', f: 'hit' });

    await cache.purge({ connectionId: 'conn-6' });
    expect((await state()).f).toBe('miss');

    await cache.purge();
    expect(Object.values(await state()).every((s) => s === 'miss')).toBe(true);
  });
});

describe('cache stage: building and bounds', () => {
  it('refuses bad settings with HUB_ERR_CACHE_CONFIG naming the setting', () => {
    const codeOf = (options: CacheStageOptions) => {
      try {
        createCacheStage(options);
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return undefined;
    };
    expect(codeOf({ redisUrl: 'http://user:pw@redis.example:6379' })).toEqual([
      'HUB_ERR_CACHE_CONFIG',
      expect.stringMatching(/^(?!.*pw).*not a redis:\/\/ or rediss:\/\/ URL/),
    ]);
    expect(codeOf({ memory: { maxEntries: 0 } })?.[1]).toMatch(/memory\.maxEntries/);
    expect(codeOf({ keepStaleSeconds: -1 })?.[1]).toMatch(/keepStaleSeconds/);
    expect(codeOf({ namespace: 'has spaces' })?.[1]).toMatch(/namespace/);
  });

  it('the in-process store keeps its bounds, evicting the least recently used', () => {
    const map = new BoundedMap(3, 1_000);
    map.set('a', 'x').set('b', 'x').set('c', 'x');
    map.get('a');
    map.set('d', 'x');
    expect([...map.keys()]).toEqual(['c', 'a', 'd']);
    map.set('big', 'y'.repeat(996));
    expect([...map.keys()]).toEqual(['big']);
    expect(map.chars).toBe(999);
    map.set('huge', 'z'.repeat(2_000));
    expect(map.has('huge')).toBe(false);
    map.delete('big');
    expect(map.chars).toBe(0);
  });

  it('stays within its entry bound under many distinct URLs', async () => {
    upstream.route('GET /many', counted({ 'cache-control': 'max-age=60' }));
    const send = exchange({ memory: { maxEntries: 20 } });
    for (let i = 0; i < 30; i++) await send(request(`/many?i=${i}`));
    // The most recent survive; the oldest were evicted.
    expect((await send(request('/many?i=29'))).cache).toBe('hit');
    expect((await send(request('/many?i=0'))).cache).toBe('miss');
  });

  it('paths and their collections', () => {
    expect(parentPath('/repos/o/r/issues/5')).toBe('/repos/o/r/issues');
    expect(parentPath('/repos/o/r/issues/5/')).toBe('/repos/o/r/issues');
    expect(parentPath('/user')).toBe('/');
    expect(parentPath('/')).toBe('/');
    expect(normalisePath('/a/b//')).toBe('/a/b');
  });
});
