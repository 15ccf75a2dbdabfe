#!/usr/bin/env node
/**
 * One gateway process for limits-redis.e2e.test.ts: builds the rate-limit stage over
 * undici with LUNAR_REDIS_URL (and the test run's limiter id prefix), warms up, says `ready`,
 * waits for `go` on stdin, fires its calls all at once at the upstream, and prints one
 * JSON line with when it fired and the statuses it got.
 *
 * It loads the TypeScript sources themselves (transpiled as they are required), so the
 * test exercises the code as it is now, never a stale dist/.
 *
 * Input (env FIRE_CONFIG, JSON): { url, count, idPrefix, connectionId, label, rateLimit }.
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};

const { composeExchange } = require('../../gateway/upstream/exchange.ts');
const { DEFAULT_UPSTREAM_POLICY } = require('../../gateway/core');
const { createRateLimitStage } = require('../../gateway/upstream/rate-limit');
const { closeAgents, undiciExchange } = require('../../gateway/upstream/undici-exchange.ts');

async function main() {
  const config = JSON.parse(process.env.FIRE_CONFIG);
  const redisUrl = process.env.LUNAR_REDIS_URL;
  if (!redisUrl) throw new Error('LUNAR_REDIS_URL is not set');
  const limits = createRateLimitStage({ redisUrl, idPrefix: config.idPrefix, onError: (error) => process.stderr.write(`limiter error: ${error}\n`) });
  const exchange = composeExchange([limits.stage], undiciExchange);
  const connector = {
    id: 'shared',
    baseUrl: config.url,
    allowedHosts: [new URL(config.url).host],
    timeouts: { connectMs: 2000, headersMs: 5000, bodyMs: 5000 },
    maxResponseBytes: 65536,
    policy: { ...DEFAULT_UPSTREAM_POLICY, rateLimit: { ...DEFAULT_UPSTREAM_POLICY.rateLimit, ...config.rateLimit } },
  };

  // Warm up outside the limiter: a cold process's first request (undici compiling its
  // HTTP parser, a new connection) arrives tens of milliseconds late, which would let the
  // next one land too close after it. The test measures the limiter, not a cold start.
  await undiciExchange({
    method: 'GET',
    url: `${config.url}/warmup`,
    headers: {},
    signal: new AbortController().signal,
    connector,
    scope: { connectorId: 'shared', tool: 'warmup', operation: 'GET /warmup' },
  });
  process.stdout.write('ready\n');
  await new Promise((resolve) => {
    let input = '';
    process.stdin.on('data', (chunk) => {
      input += chunk;
      if (input.includes('go')) resolve();
    });
  });

  const firedAt = Date.now();
  const settled = await Promise.allSettled(
    Array.from({ length: config.count }, (_, i) =>
      exchange({
        method: 'GET',
        url: `${config.url}/items/${i}`,
        headers: { 'x-process': config.label },
        signal: new AbortController().signal,
        connector,
        scope: { connectorId: 'shared', connectionId: config.connectionId, tool: 'shared_get_item', operation: 'GET /items/{id}' },
      }),
    ),
  );
  const results = settled.map((s) => (s.status === 'fulfilled' ? s.value.status : `${s.reason.code ?? ''} ${s.reason.message}`));
  await limits.close();
  await closeAgents();
  process.stdout.write(`${JSON.stringify({ label: config.label, firedAt, results })}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
