#!/usr/bin/env node
/**
 * `npm run bench`: GitHub's full REST spec (1,223 operations) -> MCP tool list.
 * Each figure is the median of --runs cold processes (bench/github-tools.js), next to
 * a baseline measured in the same run: a process that only reads and JSON.parses the
 * spec, the floor every tool generator pays.
 *
 *   node bench/run.js [--runs 3] [--spec FILE]
 */
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, spec: { type: 'string' } } });
const runs = Math.max(1, Number(values.runs));
const worker = path.join(__dirname, 'github-tools.js');

// The reference: @ivotoby/openapi-mcp-server 1.16.1 on the same spec and machine.
const PEER = { name: '@ivotoby/openapi-mcp-server 1.16.1', seconds: 0.96, peakMb: 153, bytesPerTool: 1639, notObject: 29 };
const TARGET = { seconds: 1, peakMb: 250, bytesPerTool: 1000 };

function measure(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const out = execFileSync(process.execPath, [worker, ...args, ...(values.spec ? ['--spec', values.spec] : [])], { encoding: 'utf8' });
    samples.push({ ...JSON.parse(out), wallMs: performance.now() - started });
  }
  const median = (key) => {
    const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  return { ...samples[0], ms: median('ms'), wallMs: median('wallMs'), maxRssMb: median('maxRssMb') };
}

const row = (cells) => `| ${cells.join(' | ')} |`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (x) => `${Math.round(x)} MB`;
const ok = (pass) => (pass ? 'yes' : 'NO');

const baseline = measure(['--baseline']);
const modes = ['shallow', 'full', 'none'].map((mode) => [mode, measure(['--output-schema', mode])]);
const main = modes[0][1];

console.log(`GitHub REST spec: ${main.operations} operations, ${main.parameters} parameters; median of ${runs} cold runs each\n`);
console.log(row(['', 'time in process', 'process wall time', 'peak RSS', 'tools', 'total JSON', 'bytes/tool mean', 'median', 'max']));
console.log(row(Array(9).fill('---')));
console.log(row(['baseline: read + JSON.parse only', s(baseline.ms), s(baseline.wallMs), mb(baseline.maxRssMb), '', '', '', '', '']));
for (const [mode, m] of modes) {
  console.log(
    row([
      `lunar-hub, outputSchema ${mode}${mode === 'shallow' ? ' (default)' : ''}`,
      s(m.ms),
      s(m.wallMs),
      mb(m.maxRssMb),
      m.tools,
      `${(m.totalBytes / 1e6).toFixed(2)} MB`,
      Math.round(m.meanBytes),
      m.medianBytes,
      m.maxBytes,
    ]),
  );
}
console.log(
  row([`reference: ${PEER.name} (issue)`, '', `${PEER.seconds.toFixed(2)} s to first tools/list`, mb(PEER.peakMb), '1,223', '', PEER.bytesPerTool, '', '']),
);
console.log('');
console.log(
  `default mode: ${main.tools} tools (${main.skipped} deprecated operations left out), ${main.keptParameters}/${main.parameters} parameters kept, ${main.notObject} inputSchemas not of type object (reference: ${PEER.notObject})`,
);
console.log(`generation over the parse-only baseline: +${s(main.ms - baseline.ms)} in process, +${mb(main.maxRssMb - baseline.maxRssMb)} peak RSS`);
console.log(
  `targets: under ${TARGET.seconds} s: ${ok(main.ms < TARGET.seconds * 1000)} (${s(main.ms)}); under ${TARGET.peakMb} MB: ${ok(main.maxRssMb < TARGET.peakMb)} (${mb(main.maxRssMb)}); at most ${TARGET.bytesPerTool} bytes/tool: ${ok(main.meanBytes <= TARGET.bytesPerTool)} (${Math.round(main.meanBytes)})`,
);
