#!/usr/bin/env node
/**
 * The loopback upstream of `bench/gateway.js`, in its own process so that neither the
 * client loops nor the hub share its event loop: `GET /items/<id>` answers a small JSON
 * object. Prints its port on stdout.
 */
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  const match = /^\/api\/items\/([^/?]+)/.exec(req.url);
  if (req.method !== 'GET' || !match) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
    return;
  }
  const body = JSON.stringify({ id: decodeURIComponent(match[1]), name: 'widget', price: 3, tags: ['a', 'b'] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
});
// Idle pauses between the bench's phases must not close pooled connections.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
