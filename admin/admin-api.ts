/**
 * The admin REST API under /api (docs/admin-api.md): one router per resource behind
 * the admin session. Every action goes through AdminOperations, which scopes it to the
 * admin's tenant and audits it.
 */
import express from 'express';
import type { Logger } from 'pino';
import type { Registry } from '../gateway/registry/registry';
import type { HubServices } from '../gateway/services';
import type { ExchangeStage } from '../gateway/upstream/exchange';
import { AdminOperations } from './admin-operations';
import { auditRouter } from './routers/audit';
import { cacheRouter, type PurgeCache } from './routers/cache';
import { connectionsRouter } from './routers/connections';
import { errorHandler, notFound } from './routers/http';
import { keysRouter } from './routers/keys';
import { oauthAppsRouter } from './routers/oauth-apps';
import { adminSessions } from './routers/session';
import { adminsRouter, tenantsRouter } from './routers/tenants';

export interface AdminApiOptions {
  services: HubServices;
  log: Logger;
  registry: Registry;
  purgeCache?: PurgeCache;
  /** The hub's breaker and limiter for connection tests (UpstreamStages.probeStages). */
  probeStages?: readonly ExchangeStage[];
}

export function adminApi(options: AdminApiOptions): express.Router {
  const { store, box, oauth } = options.services;
  const operations = new AdminOperations(store, box, oauth, options.registry);
  const sessions = adminSessions(store, operations);

  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  router.use(sessions.login);
  // Everything below needs an admin session.
  router.use(sessions.requireAdmin);
  router.use(sessions.logout);
  router.use(tenantsRouter(operations));
  router.use(adminsRouter(operations));
  router.use(keysRouter(operations));
  router.use(
    connectionsRouter(operations, {
      services: options.services,
      registry: options.registry,
      log: options.log,
      ...(options.probeStages ? { probeStages: options.probeStages } : {}),
    }),
  );
  router.use(cacheRouter(operations, options.purgeCache));
  router.use(oauthAppsRouter(operations));
  router.use(auditRouter(operations));
  router.use(notFound);
  router.use(errorHandler(options.log));
  return router;
}
