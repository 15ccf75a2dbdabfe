#!/usr/bin/env node
/**
 * One cold measurement, in its own process: raw spec file -> MCP tool list (JSON).
 * Prints one JSON line with the figures; bench/run.js runs it several times.
 *
 *   node bench/github-tools.js [--spec FILE] [--output-schema shallow|full|none] [--baseline]
 *
 * --baseline only reads and JSON.parses the file: the floor any tool generator pays.
 */
'use strict';
const started = performance.now();
const { readFileSync } = require('node:fs');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    spec: { type: 'string', default: require.resolve('@octokit/openapi/generated/api.github.com.json') },
    'output-schema': { type: 'string', default: 'shallow' },
    baseline: { type: 'boolean', default: false },
  },
});

async function main() {
  if (values.baseline) {
    const document = JSON.parse(readFileSync(values.spec, 'utf8'));
    const ms = performance.now() - started;
    return { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, paths: Object.keys(document.paths).length };
  }
  const { readSpecFile } = require('../dist/generators/spec-reader');
  const { generateTools } = require('../dist/generators/generate-tools');
  const loaded = performance.now();
  const set = generateTools(await readSpecFile(values.spec), { connectorId: 'github', outputSchema: values['output-schema'] });
  const json = JSON.stringify(set.tools);
  const ms = performance.now() - started;
  const sizes = set.tools.map((t) => Buffer.byteLength(JSON.stringify(t))).sort((a, b) => a - b);
  const parameters = set.operations.reduce((n, op) => n + op.parameters.length, 0);
  const keptParameters = set.bindings.reduce((n, b) => n + b.arguments.filter((a) => a.in !== 'body').length, 0);
  return {
    ms,
    moduleLoadMs: loaded - started,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    tools: set.tools.length,
    skipped: set.skipped.length,
    operations: set.operations.length + set.skipped.length,
    notObject: set.tools.filter((t) => t.inputSchema.type !== 'object').length,
    parameters,
    keptParameters,
    totalBytes: Buffer.byteLength(json),
    meanBytes: sizes.reduce((a, b) => a + b, 0) / sizes.length,
    medianBytes: sizes[Math.floor(sizes.length / 2)],
    maxBytes: sizes[sizes.length - 1],
  };
}

main().then(
  (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
  (error) => {
    process.stderr.write(`${error.code ?? 'ERROR'}: ${error.message}\n`);
    process.exitCode = 1;
  },
);
