#!/usr/bin/env node
/**
 * `npm run bench:upstream`: what the HTTP half (gateway/upstream) costs and saves, each
 * figure beside a baseline from the same run (bench/README.md explains the rows).
 *
 *   1. latency per exchange against a loopback upstream (its own process): undici alone
 *      (the baseline); through the cache on a miss (an answer it may not store) and on a
 *      hit; through the rate limiter with limits far above the load (its bookkeeping
 *      alone: a per-second pace, and a bottleneck concurrency limit); through the hub's
 *      whole chain with default policies. Paths run in rotated rounds.
 *   2. 100 identical GETs at once: requests the upstream saw, undici alone and through
 *      the hub's chain (identical reads in flight share one request).
 *   3. a 429 storm: N calls fired at once at an upstream that allows R per second and
 *      answers 429 with Retry-After: 1 beyond that; through retries alone, and through
 *      retries and the limiter stage with no rates (the hub's default: it holds for
 *      Retry-After and learns a pace from the refusals), and with the connector's limit
 *      set to R/s. Calls completed and failed, requests the upstream saw (and how many it
 *      refused), time against the ideal N/R.
 *
 *   node bench/upstream.js [--calls 2000] [--storm 1000] [--rate 50]
 *
 * Over 400 lines on purpose: one script per benchmark so that `npm run bench:upstream` is the
 * whole method in one place, its rows in order.
 */
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const REPO = path.join(__dirname, '..');
const dist = (p) => require(path.join(REPO, 'dist', p));
const { composeExchange } = dist('gateway/upstream/exchange.js');
const { undiciExchange, closeAgents } = dist('gateway/upstream/undici-exchange.js');
const { createCacheStage } = dist('gateway/upstream/cache.js');
const { createRetryStage } = dist('gateway/upstream/retry.js');
const { createRateLimitStage } = dist('gateway/upstream/rate-limit/index.js');
const { loadBottleneck } = dist('gateway/upstream/rate-limit/bottleneck-loader.js');
const { DEFAULT_UPSTREAM_POLICY } = dist('gateway/core/index.js');
const { createUpstreamStages } = dist('gateway/upstream/upstream-stages.js');
const { randomBytes } = require('node:crypto');
const pino = require('pino');

const { values: opts } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    storm: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    only: { type: 'string', default: 'latency,identical,storm,dialects' },
  },
});
const ONLY = new Set(opts.only.split(','));
/** The two storms of issue 14: 500 calls, nothing configured. */
const DIALECT_STORM = 500;
const GITHUB_RATE = 50;
const SLACK_RATE = 20;
// bottleneck's in-process store as published, before the hub's loader replaces its yields (part 4 of bench/README.md).
const LocalDatastore = require('bottleneck/lib/LocalDatastore');
const ORIGINAL_YIELD = LocalDatastore.prototype.yieldLoop;
const Bottleneck = loadBottleneck();
const PATCHED_YIELD = LocalDatastore.prototype.yieldLoop;
const CALLS = Number(opts.calls);
const STORM = Number(opts.storm);
const RATE = Number(opts.rate);
const IDENTICAL = 100;

/** The upstream, in its own process so the stages do not share its event loop. */
function startUpstream() {
  const script = `
    const http = require('node:http');
    const rate = ${RATE};
    let tokens = rate, last = Date.now(), seen = 0, refused = 0;
    // Slack-style: a token bucket of ${SLACK_RATE}/s, 429 + Retry-After: 1 beyond it.
    let slackTokens = ${SLACK_RATE}, slackLast = Date.now();
    // GitHub-style primary limit: ${GITHUB_RATE} per epoch second, 403 with x-ratelimit-remaining: 0 beyond it.
    let ghSecond = 0, ghUsed = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/stats') return res.end(JSON.stringify({ seen, refused }));
      seen++;
      if (req.url.startsWith('/github')) {
        const second = Math.floor(Date.now() / 1000);
        if (second !== ghSecond) { ghSecond = second; ghUsed = 0; }
        const limits = { 'x-ratelimit-limit': '${GITHUB_RATE}', 'x-ratelimit-reset': String(second + 1), 'content-type': 'application/json' };
        if (ghUsed >= ${GITHUB_RATE}) { refused++; res.writeHead(403, { ...limits, 'x-ratelimit-remaining': '0' }); return res.end('{"message":"API rate limit exceeded"}'); }
        ghUsed++;
        res.writeHead(200, { ...limits, 'x-ratelimit-remaining': String(${GITHUB_RATE} - ghUsed), 'cache-control': 'no-store' });
        return res.end('{"id":"1"}');
      }
      if (req.url.startsWith('/slack')) {
        const now = Date.now();
        slackTokens = Math.min(${SLACK_RATE}, slackTokens + ((now - slackLast) / 1000) * ${SLACK_RATE});
        slackLast = now;
        if (slackTokens < 1) { refused++; res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }); return res.end('{"ok":false,"error":"ratelimited"}'); }
        slackTokens -= 1;
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return res.end('{"ok":true}');
      }
      if (req.url.startsWith('/limited')) {
        const now = Date.now();
        tokens = Math.min(rate, tokens + ((now - last) / 1000) * rate);
        last = now;
        if (tokens < 1) { refused++; res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }); return res.end('{"message":"rate limited"}'); }
        tokens -= 1;
      }
      if (req.url === '/slow') return setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }); res.end('{"id":"1"}'); }, 50);
      const cacheable = req.url.startsWith('/cached');
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheable ? 'private, max-age=600' : 'no-store' });
      res.end('{"id":"1","name":"widget","price":3,"tags":["a","b"]}');
    });
    server.keepAliveTimeout = 120000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ url: `http://127.0.0.1:${String(d).trim()}`, child })));
}

/** `id`: each measured path has its own, so no path rebuilds another's limiters or keeps what another learnt. */
function connector(url, policy = DEFAULT_UPSTREAM_POLICY, id = 'bench') {
  return {
    id,
    baseUrl: url,
    allowedHosts: [new URL(url).host],
    timeouts: { connectMs: 5000, headersMs: 30000, bodyMs: 30000 },
    maxResponseBytes: 1 << 20,
    policy,
  };
}

function exchangeRequest(conn, pathName, i) {
  return {
    method: 'GET',
    url: `${conn.baseUrl}${pathName}`,
    headers: { accept: 'application/json', authorization: 'Bearer bench' },
    signal: new AbortController().signal,
    connector: conn,
    scope: { connectorId: conn.id, tenantId: 't1', connectionId: `c${i % 1}`, tool: 'bench_get', operation: 'GET /items/{id}' },
  };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const ms = (x) => `${x.toFixed(3)} ms`;
const row = (cells) => console.log(`| ${cells.join(' | ')} |`);

const ROUNDS = 5;

/**
 * Every path in rounds, the order rotated each round, after a warm-up of each: no path
 * gains from running after the process has warmed up (JIT, pooled connections) or loses
 * from running first.
 */
async function latencies(paths) {
  const times = paths.map(() => []);
  const run = async ([, exchange, conn, pathName, setup], count, into) => {
    setup?.();
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const response = await exchange(exchangeRequest(conn, pathName, i));
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      into?.push(performance.now() - started);
    }
  };
  for (const path of paths) await run(path, 200);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < paths.length; k++) {
      const i = (k + round) % paths.length;
      await run(paths[i], Math.ceil(CALLS / ROUNDS), times[i]);
    }
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { p50: percentile(t, 0.5), p99: percentile(t, 0.99), mean: t.reduce((a, b) => a + b, 0) / t.length };
  });
}

/** N identical GETs at once through the hub's stages (dedupe first) against undici alone: requests sent, time. */
async function identical(url, exchange, label) {
  const before = await stats(url);
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: IDENTICAL }, () => exchange(exchangeRequest(connector(url), '/slow', 0))));
  const ms = performance.now() - started;
  const after = await stats(url);
  if (responses.some((r) => r.status !== 200)) throw new Error('an identical call failed');
  return [label, IDENTICAL, after.seen - before.seen, `${ms.toFixed(0)} ms`];
}

async function stats(url) {
  const response = await undiciExchange({
    method: 'GET',
    url: `${url}/stats`,
    headers: {},
    signal: new AbortController().signal,
    connector: connector(url),
    scope: { connectorId: 'bench', tool: 's', operation: 'GET /stats' },
  });
  return JSON.parse(response.body.toString('utf8'));
}

/** `stages(limiter)`: a fresh rate-limit stage per storm, so no storm inherits a pace another learnt. */
async function storm(url, stages, policy, prefix = '/limited', count = STORM) {
  const conn = connector(url, policy, 'storm');
  const limiter = createRateLimitStage({ idPrefix: `bench-storm-${process.pid}` });
  const exchange = composeExchange(stages(limiter), undiciExchange);
  const before = await stats(url);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      exchange(exchangeRequest(conn, `${prefix}/${i}`, 0)).then(
        (r) => (r.status === 200 ? 'ok' : `status ${r.status}`),
        (e) => e.code ?? e.message,
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  await limiter.close();
  const after = await stats(url);
  const failed = outcomes.filter((o) => o !== 'ok');
  const reasons = [...new Set(failed)].map((r) => `${r} ×${failed.filter((f) => f === r).length}`).join(', ');
  return {
    completed: count - failed.length,
    failed: failed.length,
    reasons,
    requests: after.seen - before.seen,
    refused: after.refused - before.refused,
    seconds,
  };
}

async function main() {
  const upstream = await startUpstream();
  const { url } = upstream;
  console.log(
    `lunar-hub upstream bench: Node ${process.version}, ${require('node:os').cpus().length} CPUs, load average ${require('node:os')
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );

  const conn = connector(url);
  const cache = createCacheStage({ namespace: `bench-${process.pid}` });
  const limitedPolicy = { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, perConnection: { perSecond: 1_000_000 } } };
  const limiter = createRateLimitStage({ idPrefix: `bench-${process.pid}` });
  // As upstream-stages.ts composes them for the hub.
  // The hub's own composition (upstream-stages.ts), with its own cache and limiter.
  const hub = createUpstreamStages({ log: pino({ level: 'silent' }), cacheHashKey: randomBytes(32) });
  const hubStages = hub.stages;
  const concurrencyPolicy = { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, perConnection: { concurrency: 1000 } } };
  // The alternatives the hub does without, measured beside what it does (bench/README.md, part 4).
  const patched = () => {
    LocalDatastore.prototype.yieldLoop = PATCHED_YIELD;
  };
  const unpatched = () => {
    LocalDatastore.prototype.yieldLoop = ORIGINAL_YIELD;
  };
  const bottleneckStage = (settings) => {
    const limiter = new Bottleneck(settings);
    return (next) => (request) => limiter.schedule(() => next(request));
  };
  const paths = [
    ['direct: undici exchange alone (baseline)', undiciExchange, conn, '/plain'],
    [
      'without pace.ts: perSecond far above the load as bottleneck minTime (1 ms), in process',
      composeExchange([bottleneckStage({ minTime: 1 })], undiciExchange),
      conn,
      '/plain',
      patched,
    ],
    [
      "without the loader's patch: concurrency far above the load, bottleneck as published",
      composeExchange([bottleneckStage({ maxConcurrent: 1000 })], undiciExchange),
      conn,
      '/plain',
      unpatched,
    ],
    [
      "bottleneck with the loader's patch: concurrency far above the load (same stage as above)",
      composeExchange([bottleneckStage({ maxConcurrent: 1000 })], undiciExchange),
      conn,
      '/plain',
      patched,
    ],
    ['cache miss (no-store answer: looked up, not stored)', composeExchange([cache.stage], undiciExchange), conn, '/plain'],
    ['cache hit (private, max-age=600)', composeExchange([cache.stage], undiciExchange), conn, '/cached'],
    ['rate limiter: perSecond far above the load (a pace)', composeExchange([limiter.stage], undiciExchange), connector(url, limitedPolicy, 'paced'), '/plain'],
    [
      'rate limiter: concurrency far above the load (bottleneck)',
      composeExchange([limiter.stage], undiciExchange),
      connector(url, concurrencyPolicy, 'bottleneck'),
      '/plain',
      patched,
    ],
    [
      "rate limiter: concurrency far above the load (bottleneck), without the loader's patch",
      composeExchange([limiter.stage], undiciExchange),
      connector(url, concurrencyPolicy, 'bottleneck-unpatched'),
      '/plain',
      unpatched,
    ],
    [
      "the hub's whole chain, defaults, no-store answer",
      composeExchange(hubStages, undiciExchange),
      connector(url, DEFAULT_UPSTREAM_POLICY, 'chain'),
      '/plain',
      patched,
    ],
    [
      "the hub's whole chain, perSecond far above the load (a pace)",
      composeExchange(hubStages, undiciExchange),
      connector(url, limitedPolicy, 'chain-paced'),
      '/plain',
      patched,
    ],
    [
      "the hub's whole chain, concurrency far above the load, without the loader's patch",
      composeExchange(hubStages, undiciExchange),
      connector(url, concurrencyPolicy, 'chain-unpatched'),
      '/plain',
      unpatched,
    ],
    [
      "the hub's whole chain, concurrency far above the load (bottleneck)",
      composeExchange(hubStages, undiciExchange),
      connector(url, concurrencyPolicy, 'chain-bottleneck'),
      '/plain',
      patched,
    ],
  ];
  if (ONLY.has('latency')) {
    const measured = await latencies(paths);
    const results = paths.map(([name], i) => [name, measured[i]]);
    console.log(`## 1. Latency per exchange, ${CALLS} sequential calls per path in ${ROUNDS} rounds (order rotated), after a warm-up of 200\n`);
    row(['path', 'p50', 'p99', 'mean', 'vs direct, p50', 'mean vs direct']);
    row(Array(6).fill('---'));
    for (const [name, r] of results)
      row([
        name,
        ms(r.p50),
        ms(r.p99),
        ms(r.mean),
        name.startsWith('direct') ? '' : `${r.p50 - results[0][1].p50 >= 0 ? '+' : ''}${ms(r.p50 - results[0][1].p50)}`,
        `${(r.mean / results[0][1].mean).toFixed(2)}×`,
      ]);
    patched();
  }

  if (ONLY.has('identical')) {
    console.log(`\n## 2. ${IDENTICAL} identical GETs at once, the upstream answering in 50 ms\n`);
    row(['stages', 'calls', 'upstream requests', 'total time']);
    row(Array(4).fill('---'));
    row(await identical(url, undiciExchange, 'undici alone'));
    row(await identical(url, composeExchange(hubStages, undiciExchange), "the hub's chain (dedupe first)"));
  }

  const ideal = STORM / RATE;
  if (ONLY.has('storm')) {
    console.log(`\n## 3. A 429 storm: ${STORM} calls at once, the upstream allows ${RATE}/s (429 + Retry-After: 1 beyond); ideal ${ideal.toFixed(1)} s\n`);
    row(['stages', 'completed', 'failed', 'upstream requests', 'refused by upstream (429)', 'total time', 'vs ideal']);
    row(Array(7).fill('---'));
    const generous = {
      ...DEFAULT_UPSTREAM_POLICY,
      retry: { ...DEFAULT_UPSTREAM_POLICY.retry, attempts: 10, budgetMs: 60_000 },
      rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, maxWaitMs: 60_000 },
    };
    const storms = [
      ['retries only (default policy: 3 attempts, 30 s)', () => [createRetryStage()], DEFAULT_UPSTREAM_POLICY],
      ['retries only, 10 attempts within 60 s', () => [createRetryStage()], generous],
      [
        "the hub's default: retries + limiter stage, no rates set (holds for Retry-After, learns a pace)",
        (l) => [createRetryStage(), l.stage],
        DEFAULT_UPSTREAM_POLICY,
      ],
      [
        `retries + limiter at ${RATE}/s per connection`,
        (l) => [createRetryStage(), l.stage],
        { ...generous, rateLimit: { ...generous.rateLimit, perConnection: { perSecond: RATE } } },
      ],
    ];
    for (const [name, stages, policy] of storms) {
      await new Promise((r) => setTimeout(r, 1500)); // let the upstream's bucket refill between runs
      const s = await storm(url, stages, policy);
      row([
        name,
        s.completed,
        `${s.failed}${s.reasons ? ` (${s.reasons})` : ''}`,
        s.requests,
        s.refused,
        `${s.seconds.toFixed(1)} s`,
        `${(s.seconds / ideal).toFixed(2)}×`,
      ]);
    }
  }

  if (ONLY.has('dialects')) {
    console.log(`\n## 4. Issue 14's storms: ${DIALECT_STORM} calls at once, nothing configured (a dropped-in spec's defaults)\n`);
    row(['upstream', 'stages', 'completed', 'upstream requests per call', 'refused by upstream', 'total time', 'vs ideal']);
    row(Array(7).fill('---'));
    const slackPolicy = { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, headers: 'slack' } };
    const dialectStorms = [
      [
        `GitHub-style primary limit, ${GITHUB_RATE}/s (403 + x-ratelimit-remaining: 0 + reset)`,
        '/github',
        GITHUB_RATE,
        "the hub's default: retries + limiter stage",
        DEFAULT_UPSTREAM_POLICY,
      ],
      [`Slack-style, ${SLACK_RATE}/s (429 + Retry-After: 1)`, '/slack', SLACK_RATE, "the hub's default: retries + limiter stage", DEFAULT_UPSTREAM_POLICY],
      [`Slack-style, ${SLACK_RATE}/s (429 + Retry-After: 1)`, '/slack', SLACK_RATE, 'the same with rateLimit.headers: slack', slackPolicy],
    ];
    for (const [upstreamName, prefix, rate, stagesName, policy] of dialectStorms) {
      await new Promise((r) => setTimeout(r, 2000)); // let the upstream's window refill between runs
      const s = await storm(url, (l) => [createRetryStage(), l.stage], policy, prefix, DIALECT_STORM);
      const idealSeconds = DIALECT_STORM / rate;
      row([
        upstreamName,
        stagesName,
        `${s.completed}${s.failed ? ` (failed: ${s.reasons})` : ''}`,
        (s.requests / DIALECT_STORM).toFixed(2),
        s.refused,
        `${s.seconds.toFixed(1)} s`,
        `${(s.seconds / idealSeconds).toFixed(2)}× of ${idealSeconds.toFixed(0)} s`,
      ]);
    }
  }
  await cache.close();
  await limiter.close();
  await hub.close();
  await closeAgents();
  upstream.child.kill();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
