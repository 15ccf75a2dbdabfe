#!/usr/bin/env node
/**
 * The baseline server of `bench/mcp.js`: what an MCP server costs when written by hand
 * on the bare SDK v2, with no hub around it. One tool, `get_item`, does the same
 * upstream GET the hub's tool does (undici `request()` through a pooled `Agent`) and
 * returns the JSON as text. Both eras on one `/mcp`, routed as the hub routes them:
 * 2026-07-28 (a `_meta` envelope) to `createMcpHandler` + `toNodeHandler`, stateless;
 * 2025-11-25 to one `NodeStreamableHTTPServerTransport` per session. Plain `node:http`,
 * no express, no validation beyond the SDK's, no logs.
 *
 *   node bench/bare-v2-server.js UPSTREAM_URL   (prints "bare v2 server at http://127.0.0.1:PORT/mcp" on stderr)
 */
'use strict';
const { randomUUID } = require('node:crypto');
const http = require('node:http');
const { Agent, request } = require('undici');
const { Server, classifyInboundRequest, createMcpHandler, isInitializeRequest } = require('@modelcontextprotocol/server');
const { NodeStreamableHTTPServerTransport, toNodeHandler } = require('@modelcontextprotocol/node');

const upstream = process.argv[2];
const agent = new Agent({ keepAliveTimeout: 120_000 });

const TOOL = {
  name: 'get_item',
  description: 'Get an item',
  inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
};

function createServer() {
  const server = new Server({ name: 'bare-v2', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', async () => ({ tools: [TOOL] }));
  server.setRequestHandler('tools/call', async (req) => {
    const id = String(req.params.arguments?.id ?? '');
    const { statusCode, body } = await request(`${upstream}/api/items/${encodeURIComponent(id)}`, { dispatcher: agent });
    const text = await body.text();
    return { content: [{ type: 'text', text }], ...(statusCode === 200 ? {} : { isError: true }) };
  });
  return server;
}

const serveModern = toNodeHandler(createMcpHandler(() => createServer(), { legacy: 'reject' }));
const sessions = new Map();

async function handle(req, res, body) {
  const header = (key, name) => (typeof req.headers[name] === 'string' ? { [key]: req.headers[name] } : {});
  const route = classifyInboundRequest({
    httpMethod: req.method,
    body,
    ...header('protocolVersionHeader', 'mcp-protocol-version'),
    ...header('mcpMethodHeader', 'mcp-method'),
    ...header('mcpNameHeader', 'mcp-name'),
  });
  if (req.method === 'POST' && route.kind !== 'legacy') return serveModern(req, res, body);
  const sessionId = req.headers['mcp-session-id'];
  if (sessionId !== undefined) {
    const transport = sessions.get(sessionId);
    if (!transport) return void res.writeHead(404).end();
    return transport.handleRequest(req, res, body);
  }
  if (req.method !== 'POST' || !isInitializeRequest(body)) return void res.writeHead(400).end();
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => sessions.set(id, transport),
  });
  transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
  await createServer().connect(transport);
  await transport.handleRequest(req, res, body);
}

const httpServer = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body;
    try {
      body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return void res.writeHead(400).end();
    }
    handle(req, res, body).catch((error) => {
      process.stderr.write(`bare v2 server: ${error.stack}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
});
// Idle pauses between the bench's phases must not close pooled connections.
httpServer.keepAliveTimeout = 120_000;
httpServer.headersTimeout = 130_000;
httpServer.listen(0, '127.0.0.1', () => process.stderr.write(`bare v2 server at http://127.0.0.1:${httpServer.address().port}/mcp\n`));
process.on('SIGTERM', () => process.exit(0));
