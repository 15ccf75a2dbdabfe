/** `lunar-hub serve`: the hub over HTTP (DESIGN.md "Interfaces"). */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { errors } from '../../errors';
import { startHub } from '../hub';
import { writeLine, type CommandIO } from './io';
import { tenantNamed, DEFAULT_TENANT } from '../../auth';
import { adminApi, oauthCallback, oauthConnect } from '../../admin';
import { builtInConnectors } from './built-in-connectors';
import { CONFIG_FLAG, settingsOf } from './settings';

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
    const tenant = await tenantNamed(services.store, DEFAULT_TENANT, true);
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
    if ((await services.store.listTenants()).length === 0 && !jwt) {
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
  const http = createHttpApp({
    registry: hub.registry,
    call: hub.call,
    log: hub.log,
    metrics,
    pageSize,
    stateless,
    host: listenHost,
    allowedHosts: settings.server.allowedHosts ? [...settings.server.allowedHosts] : undefined,
    authenticate,
    inputRequests: { keyring, connectLink: (who) => connectLink(keyring, publicUrl!, who) },
    // The admin side is the CLI's to build (gateway/ never imports admin/): the app only mounts it.
    mounts: [
      {
        path: '/api',
        router: adminApi({
          services,
          log: hub.log,
          registry: hub.registry,
          purgeCache: (scope) => upstream.purgeCache(scope),
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
  });
  const server = http.app.listen(port, listenHost);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error) => reject(errors.CONFIG_USAGE([`cannot listen on ${listenHost}:${port}: ${error.message}`])));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  publicUrl ??= url;
  if (jwt && jwt.config.audience === '') jwt.config.audience = resource();
  hub.log.info({ url, mcp: `${url}/mcp`, stateless, tools: hub.registry.current.tools.length }, 'listening');
  writeLine(io.stderr, `lunar-hub serving ${hub.registry.current.tools.length} tools at ${url}/mcp`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  hub.log.info('shutting down');
  await http.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  metrics.close();
  await hub.close();
  return 0;
}
