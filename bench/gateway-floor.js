#!/usr/bin/env node
/**
 * The "MCP floor" of `bench/gateway.js`: the SDK's low-level Server with one tool that
 * answers a fixed result at once (no upstream, no validation, no logs), over the same
 * transport the hub uses. Client -> floor is what the protocol and the SDK cost; the
 * hub's own share is hub minus floor.
 *
 *   node bench/gateway-floor.js http  FIXTURE.json   (prints "floor at http://127.0.0.1:PORT/mcp" on stderr)
 *   node bench/gateway-floor.js stdio FIXTURE.json
 *
 * FIXTURE.json: { tool, result }: the hub's tool definition and one of its real results,
 * so both servers send the same bytes and the client validates the same outputSchema.
 */
'use strict';
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { CallToolRequestSchema, ListToolsRequestSchema } = require('@modelcontextprotocol/sdk/types.js');

const [mode, fixtureFile] = process.argv.slice(2);
const { tool, result } = JSON.parse(fs.readFileSync(fixtureFile, 'utf8'));

function createServer() {
  const server = new Server({ name: 'mcp-floor', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [tool] }));
  server.setRequestHandler(CallToolRequestSchema, async () => result);
  return server;
}

async function main() {
  if (mode === 'stdio') {
    const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
    await createServer().connect(new StdioServerTransport());
    return;
  }
  // Session mode over node:http (no express), as close to the bare SDK as a server gets.
  const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const { isInitializeRequest } = require('@modelcontextprotocol/sdk/types.js');
  const sessions = new Map();
  const httpServer = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const id = req.headers['mcp-session-id'];
      if (id !== undefined) {
        const transport = sessions.get(id);
        if (!transport) return void res.writeHead(404).end();
        return transport.handleRequest(req, res, body);
      }
      if (req.method !== 'POST' || !isInitializeRequest(body)) return void res.writeHead(400).end();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await createServer().connect(transport);
      await transport.handleRequest(req, res, body);
    });
  });
  httpServer.keepAliveTimeout = 120_000;
  httpServer.listen(0, '127.0.0.1', () => process.stderr.write(`floor at http://127.0.0.1:${httpServer.address().port}/mcp\n`));
  process.on('SIGTERM', () => process.exit(0));
}

main();
