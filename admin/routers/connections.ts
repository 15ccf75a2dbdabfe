/** `/connections`: a tenant's accounts on connectors (keys, passwords, tokens, OAuth), and testing them. */
import express from 'express';
import type { Logger } from 'pino';
import type { ConnectionKind } from '../../store';
import { testConnection } from '../../gateway/connection-test';
import type { Registry } from '../../gateway/registry/registry';
import type { HubServices } from '../../gateway/services';
import type { ExchangeStage } from '../../gateway/upstream/exchange';
import type { AdminOperations } from '../admin-operations';
import { body, field, route, text } from './http';

export interface ConnectionsRouterOptions {
  services: HubServices;
  registry: Registry;
  log: Logger;
  /** The hub's breaker and limiter for connection tests (UpstreamStages.probeStages). */
  probeStages?: readonly ExchangeStage[];
}

export function connectionsRouter(operations: AdminOperations, options: ConnectionsRouterOptions): express.Router {
  const router = express.Router();
  router.get(
    '/connections',
    route((actor, req) => operations.listConnections(actor, text(req.query.tenant), text(req.query.connector))),
  );
  router.post(
    '/connections',
    route((actor, req) => {
      const b = body(req);
      return operations.addConnection(actor, {
        tenant: field(b, 'tenant'),
        connector: b.connector as string,
        user: field(b, 'user') ?? null,
        kind: b.kind as ConnectionKind,
        credential: (b.credential && typeof b.credential === 'object' ? b.credential : {}) as Record<string, unknown>,
        shared: b.shared === true,
        ...(b.label !== undefined && b.label !== null ? { label: b.label as string } : {}),
      });
    }, 201),
  );
  router.post(
    '/connections/oauth',
    route((actor, req) => {
      const b = body(req);
      return operations.connectOAuth(actor, {
        tenant: field(b, 'tenant'),
        connector: b.connector as string,
        user: field(b, 'user') ?? null,
        flow: b.flow as 'authorization_code' | 'client_credentials' | undefined,
      });
    }, 201),
  );
  router.post(
    '/connections/:id/reconnect',
    route((actor, req) => operations.reconnect(actor, String(req.params.id), text(req.query.tenant))),
  );
  router.post(
    '/connections/:id/test',
    route(async (actor, req) => {
      const connection = await operations.connection(actor, String(req.params.id), text(req.query.tenant));
      const report = await testConnection(options.services, options.registry, options.log, connection, options.probeStages);
      await operations.audit(actor, connection.tenantId, 'connection.test', {
        connectorId: connection.connectorId,
        connectionId: connection.id,
        outcome: report.ok ? 'ok' : 'error',
        detail: report.status !== undefined ? `upstream ${report.status}` : report.ok ? 'opened' : 'failed',
      });
      return report;
    }),
  );
  router.post(
    '/connections/:id/revoke',
    route((actor, req) => operations.revokeConnection(actor, String(req.params.id), text(req.query.tenant))),
  );
  router.post(
    '/connections/:id/share',
    route((actor, req) => operations.shareConnection(actor, String(req.params.id), (body(req).shared ?? true) as boolean, text(req.query.tenant))),
  );
  return router;
}
