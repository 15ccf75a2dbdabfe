/** `lunar-hub serve`: the hub over HTTP (DESIGN.md "Interfaces"). */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { errors } from '../../errors';
import { checkGeneratedDir, startHub } from '../hub';
import { writeLine, type CommandIO } from './io';
import { tenantNamed, DEFAULT_TENANT } from '../../auth';
import { adminApi, oauthCallback, oauthConnect } from '../../admin';
import { builtInConnectors } from './built-in-connectors';
import { CONFIG_FLAG, settingsOf } from './settings';
import type { Settings } from '../config';

export async function runServe(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONFIG_FLAG,
      port: { type: 'string' },
      host: { type: 'string' },
      specs: { type: 'string' },
      generated: { type: 'string' },
      connectors: { type: 'string' },
      stateless: { type: 'boolean' },
      workers: { type: 'string' },
      tools: { type: 'string' },
      data: { type: 'string' },
      'no-auth': { type: 'boolean' },
      'jwt-issuer': { type: 'string' },
      'jwt-audience': { type: 'string' },
      'public-url': { type: 'string' },
      'page-size': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const settings = settingsOf(io, values);
  const { port, host: listenHost, pageSize, stateless } = settings.server;
  // Checked before anything opens: a bad key stops `serve` at once (the keyring is built once the master key is loaded).
  const { defaultStateKeys, parseStateKeys, RequestStateKeyring } = require('../mcp/request-state') as typeof import('../mcp/request-state');
  const stateKeys = parseStateKeys(settings.mcp.stateKeys ?? []);
  const workers = settings.server.workers === 0 ? os.availableParallelism() : settings.server.workers;
  if (workers > 1 && cluster.isPrimary) return servePrimary(settings, workers, io);
  const { workerLink } = require('../cluster') as typeof import('../cluster');
  // Set in a worker of `serve --workers N`; undefined in a hub of one process.
  const link = workerLink(io.env);

  // Loaded here, not at the top: every command imports this file, and express is heavy for `stdio`.
  const { createHttpApp } = require('../http/app') as typeof import('../http/app');
  const { createMetrics } = require('../http/metrics') as typeof import('../http/metrics');
  const { agentKeyAuthentication, openAuthentication } = require('../http/front-door') as typeof import('../http/front-door');
  const hub = await startHub({
    specsDir: settings.specs.dir,
    generatedDir: settings.specs.generated,
    ...builtInConnectors(settings),
    dataDir: settings.data.dir,
    settings,
    logLevel: settings.log.level,
    eagerServices: true,
    // Without Redis, the workers' quotas are counted once, by the primary.
    ...(link && !settings.redis.url ? { quota: link.quota, rateShare: 1 / link.workers } : {}),
  });
  const services = await hub.services();
  const upstream = await hub.upstream();
  // The URL clients use; known only after listening when the port is 0 and no --public-url is given.
  let publicUrl = settings.server.publicUrl;
  const resource = () => `${publicUrl}/mcp`;
  const jwtSettings = settings.auth.jwt;
  let jwt: import('../../auth').JwtAccessTokens | undefined;
  if (jwtSettings.issuer) {
    const { JwtAccessTokens } = require('../../auth') as typeof import('../../auth');
    jwt = new JwtAccessTokens(services.store, {
      issuer: jwtSettings.issuer,
      audience: jwtSettings.audience ?? '',
      tenantClaim: jwtSettings.tenantClaim,
      toolsetsClaim: jwtSettings.toolsetsClaim,
      readOnlyScope: jwtSettings.readOnlyScope,
      ...(jwtSettings.defaultTenant ? { defaultTenant: jwtSettings.defaultTenant } : {}),
    });
  }
  let authenticate;
  if (settings.auth.open) {
    // A worker finds the tenant its primary made (two workers creating it would race).
    const tenant = await tenantNamed(services.store, DEFAULT_TENANT, !link);
    authenticate = openAuthentication({
      tenantId: tenant.id,
      tenantName: tenant.name,
      userId: null,
      agentId: 'open',
      via: 'open',
      toolsets: [],
      readOnly: false,
      quota: { tenantPerMinute: tenant.callsPerMinute },
    });
    hub.log.warn({ tenant: DEFAULT_TENANT }, '--no-auth: /mcp accepts every request as the default tenant');
  } else {
    if (!link && (await services.store.listTenants()).length === 0 && !jwt) {
      writeLine(
        io.stderr,
        'lunar-hub: agents need a hub API key: `npx lunar-hub keys create --tenant default --name my-agent` (or serve --no-auth on a machine only you use)',
      );
    }
    authenticate = agentKeyAuthentication(services.store, jwt, jwt ? () => `${publicUrl}/.well-known/oauth-protected-resource` : undefined);
  }
  // 2026-07-28 round trips: one keyring for requestState and connect links, the same on every node given the same keys.
  const { CONNECT_PATH, connectLink } = require('../mcp/connect-link') as typeof import('../mcp/connect-link');
  const { loadMasterKeys } = require('../../auth') as typeof import('../../auth');
  const keyring = new RequestStateKeyring(stateKeys.length > 0 ? stateKeys : defaultStateKeys(loadMasterKeys(services.dataDir, settings.secrets)));
  const metrics = createMetrics();
  if (link) {
    const { AggregatorRegistry } = require('prom-client') as typeof import('prom-client');
    // The registry the primary's AggregatorRegistry asks each worker for; constructing one
    // is what makes prom-client answer those requests in a worker.
    AggregatorRegistry.setRegistries([metrics.registry]);
    new AggregatorRegistry();
    link.onBroadcast(PURGE_CACHE, (scope) => void upstream.purgeCache(scope as Parameters<typeof upstream.purgeCache>[0]).catch(() => undefined));
  }
  const { forwardRequest } = require('../cluster') as typeof import('../cluster');
  // Tasks live in the shared store, so a task started here can be polled on any node or worker.
  const { createTaskRunner } = require('../mcp/tasks') as typeof import('../mcp/tasks');
  const tasks = createTaskRunner({ store: services.store, log: hub.log, afterMs: settings.mcp.taskAfterMs });
  const app = createHttpApp({
    registry: hub.registry,
    call: hub.call,
    log: hub.log,
    metrics,
    pageSize,
    toolsMode: settings.mcp.tools,
    stateless,
    host: listenHost,
    allowedHosts: settings.server.allowedHosts ? [...settings.server.allowedHosts] : undefined,
    authenticate,
    admission: { maxInFlight: settings.server.maxInFlight, maxInFlightBusy: settings.server.maxInFlightBusy },
    tasks,
    inputRequests: { keyring, connectLink: (who) => connectLink(keyring, publicUrl!, who) },
    // The admin side is the CLI's to build (gateway/ never imports admin/): the app only mounts it.
    mounts: [
      {
        path: '/api',
        router: adminApi({
          services,
          log: hub.log,
          registry: hub.registry,
          purgeCache: async (scope) => {
            link?.broadcast(PURGE_CACHE, scope);
            await upstream.purgeCache(scope);
          },
          probeStages: upstream.probeStages,
        }),
      },
      { path: '/oauth/callback', method: 'get', router: oauthCallback({ services, log: hub.log }) },
      { path: CONNECT_PATH, method: 'get', router: oauthConnect({ services, log: hub.log, keyring }) },
    ],
    extraRoutes: (app) => {
      if (jwt) {
        const { protectedResourceMetadata } = require('../http/front-door') as typeof import('../http/front-door');
        for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])
          app.get(path, protectedResourceMetadata(jwt, resource));
      }
    },
    ...(link
      ? {
          worker: {
            id: link.workerId,
            forward: (owner, req, res) => {
              const peer = link.peerPort(owner);
              if (peer === undefined) return false;
              forwardRequest(peer, req, res);
              return true;
            },
            metrics: () => link.clusterMetrics(),
          },
        }
      : {}),
  });
  const server = http.createServer(app.listener).listen(port, listenHost);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error) => reject(errors.CONFIG_USAGE([`cannot listen on ${listenHost}:${port}: ${error.message}`])));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  publicUrl ??= url;
  if (jwt && jwt.config.audience === '') jwt.config.audience = resource();
  let privateServer: http.Server | undefined;
  if (link) {
    // Its own loopback port, not shared through the primary: where other workers send this one's sessions.
    privateServer = http.createServer(app.listener);
    const privatePort = await new Promise<number>((resolve, reject) => {
      privateServer!.once('error', reject);
      privateServer!.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve((privateServer!.address() as AddressInfo).port));
    });
    link.listening({ privatePort, url, tools: hub.registry.current.tools.length });
    hub.log.info({ url, worker: link.workerId, privatePort, stateless }, 'worker listening');
  } else {
    hub.log.info({ url, mcp: `${url}/mcp`, stateless, tools: hub.registry.current.tools.length }, 'listening');
    writeLine(io.stderr, `lunar-hub serving ${hub.registry.current.tools.length} tools at ${url}/mcp`);
  }

  // on, not once: Ctrl-C reaches a worker both from the terminal and from its primary,
  // and a second signal with no listener would end the process before its audit is written.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  hub.log.info('shutting down');
  await app.close();
  await Promise.all(
    [server, ...(privateServer ? [privateServer] : [])].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
  await tasks.close();
  metrics.close();
  await hub.close();
  link?.close();
  return 0;
}

const PURGE_CACHE = 'purge-cache';

/**
 * `serve --workers N` with N > 1, in the first process: what must happen once (the
 * store's migrations, the master key file, the open mode's tenant) before the workers
 * start, then gateway/cluster's primary.
 */
async function servePrimary(settings: Settings, workers: number, io: CommandIO): Promise<number> {
  const { createLogger } = require('../logger') as typeof import('../logger');
  const { openServices } = require('../services') as typeof import('../services');
  const { runPrimary } = require('../cluster') as typeof import('../cluster');
  // What every worker would refuse in the same words is refused once, before any starts.
  await checkGeneratedDir(settings.specs.generated);
  const log = createLogger(settings.log.level);
  const services = await openServices({ dataDir: settings.data.dir, log, settings });
  try {
    if (settings.auth.open) await tenantNamed(services.store, DEFAULT_TENANT, true);
    else if ((await services.store.listTenants()).length === 0 && !settings.auth.jwt.issuer)
      writeLine(
        io.stderr,
        'lunar-hub: agents need a hub API key: `npx lunar-hub keys create --tenant default --name my-agent` (or serve --no-auth on a machine only you use)',
      );
  } finally {
    await services.close();
  }
  return runPrimary({
    workers,
    log,
    onListening: ({ url, tools }) => writeLine(io.stderr, `lunar-hub serving ${tools} tools at ${url}/mcp with ${workers} workers`),
  });
}
