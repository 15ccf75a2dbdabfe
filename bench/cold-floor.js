#!/usr/bin/env node
/**
 * The cold-start floor of `bench/mcp.js`: the least a stdio MCP server serving
 * `lunar-hub generate` artefacts must do. Node starts, loads the SDK v2 server, reads
 * and `JSON.parse`s the same generated files the hub reads (index.json, each
 * connector's tools.json and connector.json), and answers tools/list with the first
 * page (PAGE_SIZE tools, the hub's default page) over stdio. No validation, no
 * registry, no pipeline.
 *
 *   node bench/cold-floor.js GENERATED_DIR [PAGE_SIZE]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Server } = require('@modelcontextprotocol/server');
const { StdioServerTransport } = require('@modelcontextprotocol/server/stdio');

const [dir, pageArg] = process.argv.slice(2);
const pageSize = Number(pageArg ?? 500);
const read = (...parts) => JSON.parse(fs.readFileSync(path.join(dir, ...parts), 'utf8'));

const tools = [];
for (const { id } of read('index.json')) {
  read(id, 'connector.json'); // the bindings the hub needs to call; parsed, as the hub parses them
  tools.push(...read(id, 'tools.json'));
}
tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const server = new Server({ name: 'cold-floor', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler('tools/list', async () => ({
  tools: tools.slice(0, pageSize),
  ...(tools.length > pageSize ? { nextCursor: String(pageSize) } : {}),
}));
server.connect(new StdioServerTransport());
