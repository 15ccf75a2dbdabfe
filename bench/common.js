/**
 * What the bench scripts share: child processes (started, tracked, stopped), the loopback
 * upstream, `lunar-hub serve`, the one-operation spec, figures read from /proc, and
 * Markdown rows. Each bench script is still the whole method in one file; this is only
 * the plumbing.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
const BIN = path.join(REPO, 'bin', 'lunar-hub.js');

// ------------------------------------------------------------------ processes

const children = new Set();
const closers = [];

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `close` runs when the bench ends (last registered first). */
function onCleanup(close) {
  closers.push(close);
}

/** Runs the registered closers, then stops every child still running. */
async function cleanup() {
  for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  closers.length = 0;
  await Promise.all([...children].map(stop));
}

/**
 * Resolves with the first match of `pattern` in the stream's text and keeps draining it
 * after (logs), so the child never blocks on a full pipe. Rejects if `child` exits first.
 */
function waitFor(stream, pattern, what, { timeoutMs = 120_000, child } = {}) {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error, value) => {
      clearTimeout(timer);
      stream.off('data', onData);
      child?.off('close', onExit);
      if (error) return reject(error);
      stream.resume();
      resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`${what}: nothing matched ${pattern} in ${timeoutMs} ms:\n${text.slice(-2000)}`)), timeoutMs);
    const onData = (chunk) => {
      text += chunk.toString('utf8');
      const match = pattern.exec(text);
      if (match) done(undefined, match);
    };
    const onExit = (code) => done(Object.assign(new Error(`${what} exited (${code}) before ${pattern}:\n${text.slice(-2000)}`), { output: text }));
    stream.on('data', onData);
    // 'close', not 'exit': by then the child's last words on this stream have been read.
    child?.once('close', onExit);
  });
}

/** A port that was free a moment ago, for servers that cannot listen on port 0 and say which. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** bench/gateway-upstream.js in its own process; `served()` asks it how many tool requests it answered. */
async function startUpstream() {
  const child = track(spawn(process.execPath, [path.join(__dirname, 'gateway-upstream.js')], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const [, port] = await waitFor(child.stdout, /^(\d+)\n/, 'upstream', { child });
  onCleanup(() => stop(child));
  const url = `http://127.0.0.1:${port}`;
  const served = async () => (await (await fetch(`${url}/count`)).json()).served;
  return { url, pid: child.pid, served };
}

/**
 * `lunar-hub serve --port 0 --no-auth` with its own data folder; resolves once it says where
 * it serves. `nodeArgs` go before the script (e.g. --cpu-prof).
 */
async function startServe(args, { dataRoot, env = {}, nodeArgs = [] }) {
  const child = track(
    spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--no-auth', '--data', fs.mkdtempSync(path.join(dataRoot, 'data-')), ...args], {
      cwd: REPO,
      env: { ...process.env, CI: 'true', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  const [, url] = await waitFor(child.stderr, /serving \d+ tools at (http:\/\/\S+\/mcp)/, 'lunar-hub serve', { child });
  return { url, child };
}

// ------------------------------------------------------------------ the one-operation connector

const BENCH_SPEC = `openapi: 3.1.0
info: { title: Bench, version: "1" }
servers: [{ url: "https://bench.example.com/api" }]
paths:
  /items/{id}:
    get:
      operationId: getItem
      summary: Get an item
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema:
                type: object
                required: [id, name]
                properties:
                  id: { type: string }
                  name: { type: string }
                  price: { type: number }
                  tags: { type: array, items: { type: string } }
`;

/** A specs folder holding the one-operation spec (tool `bench_get_item`) and a connector file pointing it at `upstream`. */
function writeBenchSpecs(dir, upstream) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bench.yaml'), BENCH_SPEC);
  fs.writeFileSync(path.join(dir, 'bench.connector.yaml'), `baseUrl: ${upstream}/api\n`);
  return { dir, spec: path.join(dir, 'bench.yaml') };
}

// ------------------------------------------------------------------ figures

const CLOCK_TICKS = 100; // Linux USER_HZ

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** A process and all its descendants (e.g. serve --workers N's primary and its workers), from /proc. */
function processTree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    try {
      for (const task of fs.readdirSync(`/proc/${all[i]}/task`)) {
        const children = fs.readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
        if (children) all.push(...children.split(' ').map(Number));
      }
    } catch {
      // gone meanwhile, or no /proc
    }
  }
  return all;
}

/** CPU time of a process and its descendants, in ms. */
function treeCpuMs(pid) {
  return processTree(pid).reduce((sum, p) => sum + (cpuMs(p) ?? 0), 0);
}

/** Resident set size of a process now, in MB; undefined where /proc is missing. */
function rssMb(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** p50, p99 and mean of a list of durations. */
function summarise(list) {
  const sorted = Float64Array.from(list).sort();
  return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1) };
}

const ms = (x) => `${x.toFixed(3)} ms`;
const ms1 = (x) => `${Math.round(x)} ms`;
const plus = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;
const row = (cells) => console.log(`| ${cells.join(' | ')} |`);
const header = (cells) => {
  row(cells);
  row(cells.map(() => '---'));
};

function machineLine(title) {
  const os = require('node:os');
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${title}: Node ${process.version}, ${os.cpus().length} CPUs, load average ${load}`;
}

module.exports = {
  REPO,
  BIN,
  BENCH_SPEC,
  track,
  stop,
  onCleanup,
  cleanup,
  waitFor,
  freePort,
  startUpstream,
  startServe,
  writeBenchSpecs,
  cpuMs,
  treeCpuMs,
  processTree,
  rssMb,
  percentile,
  median,
  summarise,
  ms,
  ms1,
  plus,
  row,
  header,
  machineLine,
};
