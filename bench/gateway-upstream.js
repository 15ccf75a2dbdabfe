#!/usr/bin/env node
/**
 * The loopback upstream of the bench scripts, in its own process so that neither the
 * client loops nor the server under test share its event loop. Prints its port on stdout.
 *
 *   GET /api/items/<id>                -> a small JSON object (the one-operation spec's tool)
 *   GET /gitignore/templates/<name>    -> GitHub's gitignore-template shape (a tool of GitHub's spec)
 *   GET /count                         -> {"served": N}: how many of the two above it answered,
 *                                         so a bench can check that every call reached it
 */
'use strict';
const http = require('node:http');

let served = 0;
const server = http.createServer((req, res) => {
  const send = (status, body) => res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  if (req.method === 'GET' && req.url === '/count') return send(200, JSON.stringify({ served }));
  const item = /^\/api\/items\/([^/?]+)/.exec(req.url);
  const template = /^\/gitignore\/templates\/([^/?]+)/.exec(req.url);
  if (req.method !== 'GET' || !(item || template)) return send(404, '{"message":"not found"}');
  served++;
  if (item) return send(200, JSON.stringify({ id: decodeURIComponent(item[1]), name: 'widget', price: 3, tags: ['a', 'b'] }));
  send(200, JSON.stringify({ name: decodeURIComponent(template[1]), source: '# Object files\n*.o\n' }));
});
// Idle pauses between the bench's phases must not close pooled connections.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
