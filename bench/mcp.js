#!/usr/bin/env node
/**
 * `npm run bench:mcp`: MCP 2026-07-28 and fast on every core. Every figure is printed
 * beside its target and a baseline measured in the same run (bench/README.md explains
 * each one), then once more in a final table with met / not met.
 *
 *   1. throughput and latency over HTTP: 8 light raw JSON-RPC clients (and 1 sequential
 *      one) calling one tool against a loopback upstream; lunar-hub serve, a bare SDK v2
 *      server (bench/bare-v2-server.js) and @ivotoby/openapi-mcp-server 1.16.1, each its
 *      own process, taking turns in slices; the hub and the bare server in both eras.
 *   2. workers: `serve --workers 2` against `--workers 1`.
 *   3. stdio on GitHub's spec: added latency per call (over a direct undici call) of the
 *      hub against the peer; cold start from `generate` artefacts to the first tools/list
 *      against a floor (bench/cold-floor.js).
 *   4. overload: 5x the sustainable rate offered open-loop; what is shed, the served calls'
 *      p99, RSS, and whether the hub lives.
 *   5. 1,000 idle 2025-11-25 sessions: the hub's RSS growth, beside the bare server's.
 *
 *   node bench/mcp.js [--seconds 6] [--slices 3] [--concurrency 8] [--runs 3] [--sessions 1000]
 *                     [--factor 5] [--storm-seconds 3] [--connections 256]
 *                     [--only throughput,workers,stdio,cold,overload,sessions]
 *                     [--profile DIR]   (lunar-hub serve processes run with --cpu-prof, profiles into DIR)
 *
 * Over 400 lines on purpose: one script per benchmark so that `npm run bench:mcp` is the
 * whole method in one place, its five parts in order; the plumbing is in common.js and
 * light-clients.js.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Agent, Pool, request } = require('undici');
const common = require('./common');
const { BIN, REPO, treeCpuMs, rssMb, summarise, median, ms, ms1, plus, row, header, track, stop, waitFor, onCleanup } = common;
const { openHttpClient, openStdioClient, outcomeOf } = require('./light-clients');

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    slices: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    sessions: { type: 'string', default: '1000' },
    factor: { type: 'string', default: '5' },
    'storm-seconds': { type: 'string', default: '3' },
    connections: { type: 'string', default: '256' },
    only: { type: 'string', default: 'throughput,workers,stdio,cold,overload,sessions' },
    profile: { type: 'string' },
  },
});
const SECONDS = Number(opts.seconds); // per path and figure, split into SLICES turns
const SLICES = Math.max(1, Number(opts.slices));
const CONCURRENCY = Number(opts.concurrency);
const RUNS = Math.max(1, Number(opts.runs));
const SESSIONS = Number(opts.sessions);
const FACTOR = Number(opts.factor);
const STORM_SECONDS = Number(opts['storm-seconds']);
const CONNECTIONS = Number(opts.connections);
const ONLY = new Set(opts.only.split(','));
const PROFILE = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts.profile)] : [];
const GITHUB_SPEC = require.resolve('@octokit/openapi/generated/api.github.com.json');
const PEER_BIN = path.join(path.dirname(require.resolve('@ivotoby/openapi-mcp-server/package.json')), 'bin', 'mcp-server.js');
const PEER = '@ivotoby/openapi-mcp-server 1.16.1';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lunar-bench-mcp-'));
/** The final table: one entry per figure with a target. */
const summary = [];

/**
 * `met`: true, false, or undefined (nothing to judge: the feature is missing). `ratio`:
 * measured / baseline unless given.
 */
function record(figure, { measured, baseline = '', ratio = '', target, met }) {
  summary.push({ figure, measured, baseline, ratio, target, met });
  console.log(`target: ${figure}: ${measured}${baseline ? ` vs ${baseline}` : ''}${ratio ? ` (${ratio})` : ''}; ${target}: ${verdict(met)}`);
}
const verdict = (met) => (met === undefined ? 'n/a' : met ? 'met' : 'NOT MET');
const times = (x) => `${x.toFixed(2)}x`;
const rate = (x) => `${Math.round(x)} calls/s`;
const mb = (x) => `${x.toFixed(1)} MB`;

// ------------------------------------------------------------------ servers

async function startBare(upstream) {
  const child = track(spawn(process.execPath, [path.join(__dirname, 'bare-v2-server.js'), upstream], { stdio: ['ignore', 'ignore', 'pipe'] }));
  const [, url] = await waitFor(child.stderr, /bare v2 server at (http:\/\/\S+)/, 'bare v2 server', { child });
  onCleanup(() => stop(child));
  return { url, child };
}

/** The peer on a port of its own (it cannot listen on 0 and tell which); it logs every message on stderr, drained here. */
async function startPeerHttp(upstream, spec) {
  const port = await common.freePort();
  const args = [PEER_BIN, '--api-base-url', upstream, '--openapi-spec', spec, '--transport', 'http', '--host', '127.0.0.1', '--port', String(port)];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  await waitFor(child.stderr, /transport listening on/, PEER, { child });
  onCleanup(() => stop(child));
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

/**
 * Whether this build's serve takes --workers. Where it does, its default is one worker per
 * core, so every hub here but figure 2's is pinned to one process: one process against the
 * bare server's one, and the CPU and RSS read from /proc are the whole hub's.
 */
const HAS_WORKERS = /lunar-hub serve [^\n]*--workers/.test(spawnSync(process.execPath, [BIN, 'serve', '--help'], { cwd: REPO, encoding: 'utf8' }).stdout);

async function startHub(args) {
  const pinned = HAS_WORKERS && !args.includes('--workers') ? ['--workers', '1'] : [];
  const hub = await common.startServe([...args, ...pinned], { dataRoot: tmp, nodeArgs: PROFILE });
  onCleanup(() => stop(hub.child));
  return hub;
}

// ------------------------------------------------------------------ measuring

/** Counts outcomes; `failures` keeps one example per reason. */
function tally() {
  return {
    ok: 0,
    shed: 0,
    failed: 0,
    calls: 0,
    failures: new Map(),
    add(o) {
      this.calls++;
      this[o.kind]++;
      if (o.kind === 'failed') this.failures.set(o.why, (this.failures.get(o.why) ?? 0) + 1);
    },
  };
}

/**
 * Each path warms up, then the paths take turns: SLICES rounds, the order rotated each
 * round, so a noisy moment on a shared machine lands on all of them. `run(path, ms)`
 * measures one slice and returns what `merge` adds up.
 */
async function inSlices(paths, sliceMs, run) {
  const results = paths.map(() => []);
  for (let s = 0; s < SLICES; s++) {
    for (let k = 0; k < paths.length; k++) {
      const p = (s + k) % paths.length;
      results[p].push(await run(paths[p], sliceMs));
    }
  }
  return results;
}

/** C loops on C clients for `sliceMs`; with the upstream's count of requests and the server's CPU. */
async function throughputSlice({ clients, pid, upstream }, sliceMs) {
  const counts = tally();
  const before = { served: await upstream.served(), cpu: treeCpuMs(pid), self: process.cpuUsage() };
  const started = performance.now();
  const deadline = started + sliceMs;
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; performance.now() < deadline; i++) counts.add(await client.call(i));
    }),
  );
  const wall = performance.now() - started;
  const self = process.cpuUsage(before.self);
  return {
    counts,
    wall,
    served: (await upstream.served()) - before.served,
    cpu: (treeCpuMs(pid) - before.cpu) / wall,
    self: (self.user + self.system) / 1000 / wall,
  };
}

/** One client, one call at a time, for `sliceMs`: durations. */
async function latencySlice({ client, upstream }, sliceMs) {
  const counts = tally();
  const durations = [];
  const before = await upstream.served();
  const deadline = performance.now() + sliceMs;
  for (let i = 0; performance.now() < deadline; i++) {
    const started = performance.now();
    const outcome = await client.call(i);
    durations.push(performance.now() - started);
    counts.add(outcome);
  }
  return { counts, durations, served: (await upstream.served()) - before };
}

/** Adds up slices; `verified` when every call succeeded and the upstream saw exactly one request per call. */
function merged(slices) {
  const total = { ok: 0, failed: 0, shed: 0, calls: 0, served: 0, wall: 0, cpu: 0, self: 0, durations: [], failures: new Map() };
  for (const s of slices) {
    for (const k of ['ok', 'failed', 'shed', 'calls']) total[k] += s.counts[k];
    for (const [why, n] of s.counts.failures) total.failures.set(why, (total.failures.get(why) ?? 0) + n);
    total.served += s.served;
    total.wall += s.wall ?? 0;
    total.cpu += (s.cpu ?? 0) * (s.wall ?? 0);
    total.self += (s.self ?? 0) * (s.wall ?? 0);
    if (s.durations) total.durations.push(...s.durations);
  }
  total.rate = total.ok / (total.wall / 1000);
  total.cpuPerCall = total.cpu / (total.ok || 1); // ms of server CPU per call
  total.cpu /= total.wall || 1;
  total.self /= total.wall || 1;
  total.verified = total.calls > 0 && total.ok === total.calls && total.served === total.calls;
  return total;
}

function checkLine(name, t) {
  if (t.verified) return;
  const reasons = [...t.failures].map(([why, n]) => `${n}x ${why}`).join('; ');
  console.log(`WARNING ${name}: ${t.ok} of ${t.calls} calls succeeded, the upstream saw ${t.served} requests${reasons ? `: ${reasons}` : ''}`);
}

async function warmUp(clients, calls = 100) {
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < calls; i++) {
        const o = await c.call(i);
        // A hub still compiling its hot paths may shed a first burst: a client retries that.
        if (o.kind === 'shed') {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        if (o.kind !== 'ok') throw new Error(`warm-up call failed: ${o.why ?? o.how}`);
      }
    }),
  );
}

// ------------------------------------------------------------------ 1. throughput and latency over HTTP

async function httpFigures(context) {
  const { upstream, specs } = context;
  const hub = await startHub(['--specs', specs.dir]);
  const bare = await startBare(upstream.url);
  const peer = await startPeerHttp(`${upstream.url}/api`, specs.spec);
  context.hub = hub;
  const item = (marker) => ({ id: marker });
  const paths = [
    { key: 'hub-modern', name: 'lunar-hub serve, 2026-07-28 (stateless)', kind: 'modern', server: hub, tool: 'bench_get_item' },
    { key: 'bare-modern', name: 'bare SDK v2 server, 2026-07-28 (stateless)', kind: 'modern', server: bare, tool: 'get_item' },
    { key: 'hub-session', name: 'lunar-hub serve, 2025-11-25 sessions', kind: 'session', server: hub, tool: 'bench_get_item' },
    { key: 'bare-session', name: 'bare SDK v2 server, 2025-11-25 sessions', kind: 'session', server: bare, tool: 'get_item' },
    { key: 'peer-session', name: `${PEER}, 2025-11-25 sessions`, kind: 'peer', server: peer, tool: 'get-item' },
  ];
  for (const p of paths) {
    const open = () => openHttpClient(p.kind, p.server.url, { tool: p.tool, args: item });
    p.clients = await Promise.all(Array.from({ length: CONCURRENCY }, open));
    p.client = await open();
    p.pid = p.server.child.pid;
    p.upstream = upstream;
    await warmUp(p.clients);
    await warmUp([p.client]);
  }
  const sliceMs = (SECONDS * 1000) / SLICES;
  const through = (await inSlices(paths, sliceMs, throughputSlice)).map(merged);
  const latency = (
    await inSlices(
      paths.map((p) => ({ ...p, clients: undefined })),
      sliceMs,
      latencySlice,
    )
  ).map(merged);
  for (const p of paths) await Promise.all([...p.clients, p.client].map((c) => c.close()));

  const byKey = Object.fromEntries(paths.map((p, i) => [p.key, { ...p, through: through[i], latency: { ...latency[i], ...summarise(latency[i].durations) } }]));
  context.http = byKey;
  console.log(
    `\n## 1. Over HTTP: ${CONCURRENCY} light clients calling one tool in a loop, then 1 sequential client; ${SECONDS} s per path each, in ${SLICES} turns\n`,
  );
  header(['server', 'calls/s', 'CPU: server', 'server CPU per call', 'clients (this process)', 'p50 (1 client)', 'p99', 'mean', 'checked']);
  for (const p of Object.values(byKey)) {
    const t = p.through;
    const l = p.latency;
    const pct = (x) => `${Math.round(x * 100)}%`;
    row([
      p.name,
      Math.round(t.rate),
      pct(t.cpu),
      ms(t.cpuPerCall),
      pct(t.self),
      ms(l.p50),
      ms(l.p99),
      ms(l.mean),
      t.verified && l.verified ? `${t.calls + l.calls} calls, all reached the upstream` : 'NO',
    ]);
  }
  console.log('');
  for (const p of Object.values(byKey)) {
    checkLine(`${p.name} (throughput)`, p.through);
    checkLine(`${p.name} (latency)`, p.latency);
  }
  for (const era of ['modern', 'session']) {
    const label = era === 'modern' ? '2026-07-28' : '2025-11-25';
    const h = byKey[`hub-${era}`];
    const b = byKey[`bare-${era}`];
    const ok = h.through.verified && b.through.verified && h.latency.verified && b.latency.verified;
    const r = h.through.rate / b.through.rate;
    record(`1. calls/s, hub vs bare v2 server, ${label}`, {
      measured: rate(h.through.rate),
      baseline: rate(b.through.rate),
      ratio: times(r),
      target: '>= 0.9x',
      met: ok && r >= 0.9,
    });
    const d50 = h.latency.p50 - b.latency.p50;
    const d99 = h.latency.p99 - b.latency.p99;
    record(`1. added latency p50 over bare v2 server, ${label}`, {
      measured: ms(h.latency.p50),
      baseline: ms(b.latency.p50),
      ratio: plus(d50),
      target: '<= +0.3 ms',
      met: ok && d50 <= 0.3,
    });
    record(`1. added latency p99 over bare v2 server, ${label}`, {
      measured: ms(h.latency.p99),
      baseline: ms(b.latency.p99),
      ratio: plus(d99),
      target: '<= +2 ms',
      met: ok && d99 <= 2,
    });
  }
  const peerRate = byKey['peer-session'].through;
  for (const era of ['session', 'modern']) {
    const h = byKey[`hub-${era}`].through;
    const r = h.rate / peerRate.rate;
    const label = era === 'modern' ? '2026-07-28' : '2025-11-25';
    record(`1. calls/s, hub ${label} vs ${PEER} 2025-11-25`, {
      measured: rate(h.rate),
      baseline: rate(peerRate.rate),
      ratio: times(r),
      target: '>= 1.3x',
      met: h.verified && peerRate.verified && r >= 1.3,
    });
  }
}

// ------------------------------------------------------------------ 2. workers

async function workersFigure(context) {
  const { upstream, specs } = context;
  const figure = '2. calls/s, serve --workers 2 vs --workers 1 (2026-07-28)';
  if (!HAS_WORKERS) {
    const why = 'not available (serve has no --workers)';
    console.log(`\n## 2. Workers\n\n${why}\n`);
    return record(figure, { measured: why, target: '>= 1.7x', met: undefined });
  }
  const servers = [];
  for (const n of [1, 2]) {
    try {
      servers.push(await startHub(['--specs', specs.dir, '--workers', String(n)]));
    } catch (error) {
      const said = (error.output ?? error.message).trim();
      const why = `not available (serve --workers ${n} failed: ${said.split('\n')[0]})`;
      console.log(`\n## 2. Workers\n\n${why}\n`);
      record(figure, { measured: why, target: '>= 1.7x', met: undefined });
      return;
    }
  }
  const paths = [];
  for (const [i, server] of servers.entries()) {
    const clients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => openHttpClient('modern', server.url, { tool: 'bench_get_item', args: (m) => ({ id: m }) })),
    );
    await warmUp(clients);
    paths.push({ name: `serve --workers ${i + 1}`, clients, pid: server.child.pid, upstream });
  }
  const [one, two] = (await inSlices(paths, (SECONDS * 1000) / SLICES, throughputSlice)).map(merged);
  for (const p of paths) await Promise.all(p.clients.map((c) => c.close()));
  for (const s of servers) await stop(s.child);
  console.log(`\n## 2. Workers: ${CONCURRENCY} light clients, 2026-07-28, ${SECONDS} s each in ${SLICES} turns\n`);
  header(['server', 'calls/s', 'CPU: hub (all its processes)', 'clients (this process)', 'checked']);
  const pct = (x) => `${Math.round(x * 100)}%`;
  for (const [p, t] of [
    [paths[0], one],
    [paths[1], two],
  ])
    row([p.name, Math.round(t.rate), pct(t.cpu), pct(t.self), t.verified ? `${t.calls} calls, all reached the upstream` : 'NO']);
  checkLine(paths[0].name, one);
  checkLine(paths[1].name, two);
  const r = two.rate / one.rate;
  record(figure, { measured: rate(two.rate), baseline: rate(one.rate), ratio: times(r), target: '>= 1.7x', met: one.verified && two.verified && r >= 1.7 });
}

// ------------------------------------------------------------------ 3. stdio on GitHub's spec

function githubSpecs(upstream) {
  const dir = path.join(tmp, 'github-specs');
  fs.mkdirSync(dir, { recursive: true });
  const spec = path.join(dir, 'github.json');
  if (!fs.existsSync(spec)) fs.copyFileSync(GITHUB_SPEC, spec);
  fs.writeFileSync(path.join(dir, 'github.connector.yaml'), `baseUrl: ${upstream}\n`);
  return { dir, spec };
}

/** Every tools/list page over stdio. */
async function listAll(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.request('tools/list', cursor ? { cursor } : undefined);
    tools.push(...page.result.tools);
    cursor = page.result.nextCursor;
  } while (cursor);
  return tools;
}

async function stdioFigure(context) {
  const { upstream } = context;
  const specs = githubSpecs(upstream.url);
  const env = { CI: 'true' };
  const hub = await openStdioClient(process.execPath, [BIN, 'stdio', '--specs', specs.dir, '--data', fs.mkdtempSync(path.join(tmp, 'data-'))], {
    cwd: REPO,
    env,
  });
  const peer = await openStdioClient(process.execPath, [PEER_BIN, '--api-base-url', upstream.url, '--openapi-spec', specs.spec], { env });
  onCleanup(() => hub.close());
  onCleanup(() => peer.close());
  const hubTools = await listAll(hub);
  const peerTools = await listAll(peer);
  const hubTool = hubTools.find((t) => t.name.endsWith('_gitignore_get_template'));
  const peerTool = peerTools.find((t) => t.originalPath === '/gitignore/templates/{name}' || t['x-original-path'] === '/gitignore/templates/{name}');
  if (!hubTool || !peerTool) throw new Error(`stdio: no gitignore template tool (hub: ${hubTool?.name}, peer: ${peerTool?.name})`);
  const agent = new Agent({ keepAliveTimeout: 120_000 });
  onCleanup(() => agent.close());
  const viaStdio = (client, tool) => async (i) => {
    const marker = `s-${i}`;
    return outcomeOf(200, {}, await client.request('tools/call', { name: tool, arguments: { name: marker } }), marker);
  };
  const direct = async (i) => {
    const marker = `s-${i}`;
    const { statusCode, body } = await request(`${upstream.url}/gitignore/templates/${marker}`, { dispatcher: agent });
    const value = JSON.parse(await body.text());
    return statusCode === 200 && value.name === marker ? { kind: 'ok' } : { kind: 'failed', why: `direct: HTTP ${statusCode}` };
  };
  const paths = [
    { name: 'direct: undici request(), pooled Agent (baseline)', client: { call: direct }, upstream },
    { name: `lunar-hub stdio (${hubTools.length} tools) -> upstream`, client: { call: viaStdio(hub, hubTool.name) }, upstream },
    { name: `${PEER} stdio (${peerTools.length} tools) -> upstream`, client: { call: viaStdio(peer, peerTool.name) }, upstream },
  ];
  for (const p of paths) await warmUp([p.client], 300);
  const results = (await inSlices(paths, (SECONDS * 1000) / SLICES, latencySlice)).map((slices) => {
    const t = merged(slices);
    return { ...t, ...summarise(t.durations) };
  });
  await hub.close();
  await peer.close();
  const [base, h, p] = results;
  console.log(
    `\n## 3. stdio, GitHub's spec, tool ${hubTool.name} (peer: ${peerTool.name}) at the loopback upstream: 1 sequential client, ${SECONDS} s per path in ${SLICES} turns\n`,
  );
  header(['path', 'calls', 'p50', 'p99', 'mean', 'added over direct, p50', 'added, p99', 'checked']);
  for (const [i, r] of results.entries())
    row([
      paths[i].name,
      r.calls,
      ms(r.p50),
      ms(r.p99),
      ms(r.mean),
      i === 0 ? '' : plus(r.p50 - base.p50),
      i === 0 ? '' : plus(r.p99 - base.p99),
      r.verified ? 'yes' : 'NO',
    ]);
  console.log('');
  results.forEach((r, i) => checkLine(paths[i].name, r));
  const addedHub = h.p50 - base.p50;
  const addedPeer = p.p50 - base.p50;
  record('3. stdio added latency p50 (over direct), hub vs peer', {
    measured: plus(addedHub),
    baseline: plus(addedPeer),
    ratio: times(addedHub / addedPeer),
    target: '<= 0.8x',
    met: h.verified && p.verified && base.verified && addedHub / addedPeer <= 0.8,
  });
}

async function coldFigure(context) {
  const specs = githubSpecs(context.upstream.url);
  const out = path.join(tmp, 'github-generated');
  const generate = spawn(process.execPath, [BIN, 'generate', '--specs', specs.dir, '--out', out, '--no-client'], { cwd: REPO, stdio: 'ignore' });
  const code = await new Promise((resolve) => generate.once('exit', resolve));
  if (code !== 0 || !fs.existsSync(path.join(out, 'github', 'connector.json'))) throw new Error(`lunar-hub generate exited ${code} without artefacts`);
  /** Process start to the whole first tools/list page. */
  const cold = async (args) => {
    const started = performance.now();
    const client = await openStdioClient(process.execPath, args, { cwd: REPO, env: { CI: 'true' } });
    const list = await client.request('tools/list');
    const elapsed = performance.now() - started;
    await client.close();
    return { ms: elapsed, tools: list.result.tools.length };
  };
  const hubArgs = () => [BIN, 'stdio', '--specs', specs.dir, '--generated', out, '--data', fs.mkdtempSync(path.join(tmp, 'data-'))];
  const floorArgs = [path.join(__dirname, 'cold-floor.js'), out];
  const samples = { hub: [], floor: [] };
  let pages = {};
  for (let i = 0; i < RUNS; i++) {
    // Alternated, so that neither gains from a warmer page cache or a quieter moment.
    const f = await cold(floorArgs);
    const h = await cold(hubArgs());
    samples.floor.push(f.ms);
    samples.hub.push(h.ms);
    pages = { hub: h.tools, floor: f.tools };
  }
  const hub = median(samples.hub);
  const floor = median(samples.floor);
  console.log(`\n## 3b. Cold start from \`lunar-hub generate\` artefacts (GitHub's spec) to the whole first tools/list page over stdio; median of ${RUNS}\n`);
  header(['', 'median', 'min-max', 'first page']);
  row([
    'floor: node + SDK v2 Server + JSON.parse of the artefacts (bench/cold-floor.js)',
    ms1(floor),
    `${ms1(Math.min(...samples.floor))}-${ms1(Math.max(...samples.floor))}`,
    `${pages.floor} tools`,
  ]);
  row(['lunar-hub stdio --generated', ms1(hub), `${ms1(Math.min(...samples.hub))}-${ms1(Math.max(...samples.hub))}`, `${pages.hub} tools`]);
  console.log('');
  record('3. cold start to first tools/list from artefacts, hub vs floor', {
    measured: ms1(hub),
    baseline: ms1(floor),
    ratio: times(hub / floor),
    target: '<= 1.2x',
    met: pages.hub === pages.floor && hub / floor <= 1.2,
  });
}

// ------------------------------------------------------------------ 4. overload

async function overloadFigure(context) {
  const { upstream, specs } = context;
  let hub = context.hub;
  let sustainable = context.http?.['hub-modern']?.through.rate;
  let unloadedP99 = context.http?.['hub-modern']?.latency.p99;
  if (!hub) hub = await startHub(['--specs', specs.dir]);
  if (sustainable === undefined) {
    // Figure 1 did not run: measure the two inputs here, the same way.
    const clients = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => openHttpClient('modern', hub.url, { tool: 'bench_get_item', args: (m) => ({ id: m }) })),
    );
    await warmUp(clients);
    sustainable = merged([await throughputSlice({ clients, pid: hub.child.pid, upstream }, 3000)]).rate;
    const seq = merged([await latencySlice({ client: clients[0], upstream }, 3000)]);
    unloadedP99 = summarise(seq.durations).p99;
    await Promise.all(clients.map((c) => c.close()));
  }
  const offered = sustainable * FACTOR;
  const pool = new Pool(new URL(hub.url).origin, {
    connections: CONNECTIONS,
    pipelining: 1,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
    keepAliveTimeout: 120_000,
  });
  onCleanup(() => pool.destroy());
  const client = await openHttpClient('modern', hub.url, { tool: 'bench_get_item', args: (m) => ({ id: m }), dispatcher: pool });
  const pid = hub.child.pid;
  // A quiet moment first, so that "before" is not the garbage of the last measurement.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rss = { before: rssMb(pid), peak: 0 };
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssMb(pid) ?? 0)), 50);
  const servedBefore = await upstream.served();
  const counts = tally();
  const sheds = new Map();
  const latencies = [];
  const inflight = new Set();
  const started = performance.now();
  const interval = 1000 / offered;
  let sent = 0;
  // Open loop: call k leaves at started + k * interval whatever became of the earlier ones;
  // its latency counts from that moment, so time spent queued in this process counts too.
  while (performance.now() - started < STORM_SECONDS * 1000) {
    const now = performance.now();
    while (started + sent * interval <= now) {
      const due = started + sent * interval;
      const call = client
        .call(sent++)
        .catch((error) => ({ kind: 'failed', why: error.code ?? error.message }))
        .then((o) => {
          counts.add(o);
          if (o.kind === 'ok') latencies.push(performance.now() - due);
          if (o.kind === 'shed') sheds.set(o.how, (sheds.get(o.how) ?? 0) + 1);
          inflight.delete(call);
        });
      inflight.add(call);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const offeredFor = performance.now() - started;
  await Promise.all(inflight);
  const drained = performance.now() - started;
  clearInterval(sampler);
  const served = (await upstream.served()) - servedBefore;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  rss.after = rssMb(pid);
  const alive = hub.child.exitCode === null && hub.child.signalCode === null;
  const probe = alive ? await openHttpClient('modern', hub.url, { tool: 'bench_get_item', args: (m) => ({ id: m }) }) : undefined;
  const answers = probe ? (await probe.call(1)).kind === 'ok' : false;
  await probe?.close();
  const lat = summarise(latencies);
  const share = (n) => `${((n / counts.calls) * 100).toFixed(1)}%`;
  console.log(
    `\n## 4. Overload: ${FACTOR}x the sustainable ${Math.round(sustainable)} calls/s (figure 1, hub 2026-07-28) offered open-loop for ${STORM_SECONDS} s over up to ${CONNECTIONS} connections\n`,
  );
  header([
    'offered',
    'sent at',
    'served (ok)',
    'shed (503 + Retry-After or HUB_ERR_OVERLOADED)',
    'failed',
    'served p50',
    'served p99',
    'unloaded p99',
    'all answered after',
    'RSS before / peak / after',
    'alive',
  ]);
  row([
    `${counts.calls} calls`,
    rate(counts.calls / (offeredFor / 1000)),
    `${counts.ok} (${share(counts.ok)})`,
    `${counts.shed} (${share(counts.shed)})${sheds.size ? `: ${[...sheds].map(([how, n]) => `${n} ${how}`).join(', ')}` : ''}`,
    `${counts.failed} (${share(counts.failed)})`,
    ms(lat.p50),
    ms(lat.p99),
    ms(unloadedP99),
    `${(drained / 1000).toFixed(1)} s`,
    `${mb(rss.before)} / ${mb(rss.peak)} / ${mb(rss.after)}`,
    alive && answers ? 'yes, and answers' : alive ? 'yes, but a call failed' : 'NO',
  ]);
  console.log('');
  if (counts.failed > 0) console.log(`failures: ${[...counts.failures].map(([why, n]) => `${n}x ${why}`).join('; ')}`);
  if (served !== counts.ok) console.log(`note: the upstream saw ${served} requests for ${counts.ok} served calls`);
  record('4. overload: share shed (503 / HUB_ERR_OVERLOADED)', {
    measured: share(counts.shed),
    baseline: `${counts.calls} offered`,
    target: 'reported (no target)',
    met: undefined,
  });
  record('4. overload: served p99 vs unloaded p99', {
    measured: ms(lat.p99),
    baseline: ms(unloadedP99),
    ratio: times(lat.p99 / unloadedP99),
    target: '<= 3x',
    met: lat.n > 0 && lat.p99 / unloadedP99 <= 3,
  });
  record('4. overload: hub RSS after vs before', {
    measured: mb(rss.after),
    baseline: mb(rss.before),
    ratio: times(rss.after / rss.before),
    target: 'bounded: peak <= 2x before',
    met: rss.peak <= 2 * rss.before,
  });
  record('4. overload: hub alive and answering after', { measured: alive && answers ? 'yes' : 'no', target: 'alive', met: alive && answers });
}

// ------------------------------------------------------------------ 5. idle sessions

async function sessionsFigure(context) {
  const { upstream, specs } = context;
  const measure = async (server, tool) => {
    const pool = new Pool(new URL(server.url).origin, { connections: 16, keepAliveTimeout: 120_000 });
    const open = () => openHttpClient('session', server.url, { tool, args: (m) => ({ id: m }), dispatcher: pool });
    const first = await open();
    await warmUp([first], 50); // load what the first session and call load
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = rssMb(server.child.pid);
    let opened = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (opened < SESSIONS) {
          opened++;
          await open();
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = rssMb(server.child.pid);
    await pool.close();
    return { before, after, delta: after - before };
  };
  const hub = await startHub(['--specs', specs.dir]);
  const h = await measure(hub, 'bench_get_item');
  const health = await (await fetch(new URL('/healthz', hub.url))).json();
  await stop(hub.child);
  const bare = await startBare(upstream.url);
  const b = await measure(bare, 'get_item');
  await stop(bare.child);
  console.log(`\n## 5. ${SESSIONS} idle 2025-11-25 sessions (initialize + notifications/initialized, then nothing), RSS growth; each server fresh\n`);
  header(['server', 'RSS before', 'after', 'growth', 'per session']);
  row(['bare SDK v2 server (baseline)', mb(b.before), mb(b.after), mb(b.delta), `${((b.delta * 1024) / SESSIONS).toFixed(1)} KB`]);
  row([
    `lunar-hub serve (/healthz: ${health.sessions} sessions open)`,
    mb(h.before),
    mb(h.after),
    mb(h.delta),
    `${((h.delta * 1024) / SESSIONS).toFixed(1)} KB`,
  ]);
  console.log('');
  record(`5. RSS growth for ${SESSIONS} idle sessions, hub vs bare v2 server`, {
    measured: mb(h.delta),
    baseline: mb(b.delta),
    ratio: times(h.delta / b.delta),
    target: '<= 50 MB',
    met: health.sessions >= SESSIONS && h.delta <= 50,
  });
}

// ------------------------------------------------------------------ main

async function main() {
  console.log(common.machineLine('lunar-hub MCP bench'));
  if (HAS_WORKERS) console.log("serve has --workers: every hub but figure 2's runs with --workers 1");
  const upstream = await common.startUpstream();
  const context = { upstream, specs: common.writeBenchSpecs(path.join(tmp, 'specs'), upstream.url) };
  if (ONLY.has('throughput')) await httpFigures(context);
  if (ONLY.has('workers')) await workersFigure(context);
  if (ONLY.has('stdio')) await stdioFigure(context);
  if (ONLY.has('cold')) await coldFigure(context);
  if (ONLY.has('overload')) await overloadFigure(context);
  if (ONLY.has('sessions')) await sessionsFigure(context);

  console.log(`\n## Summary (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} CPUs)\n`);
  header(['figure', 'measured', 'baseline', 'ratio', 'target', 'met']);
  for (const s of summary) row([s.figure, s.measured, s.baseline, s.ratio, s.target, verdict(s.met)]);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await common.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
