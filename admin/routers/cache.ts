/**
 * `/cache/purge`: drops cached upstream answers: a tenant's (a tenant admin: only its
 * own), one connection's, one connector's, or (hub-wide admins) all, which must be asked
 * for with `all: true`: a mistyped field never widens a purge.
 */
import express from 'express';
import { errors } from '../../errors';
import type { AdminOperations } from '../admin-operations';
import { body, field, route } from './http';

export type PurgeCache = (scope: { tenantId?: string; connectionId?: string; connectorId?: string }) => Promise<void>;

export function cacheRouter(operations: AdminOperations, purgeCache: PurgeCache | undefined): express.Router {
  const router = express.Router();
  router.post(
    '/cache/purge',
    route(async (actor, req) => {
      if (!purgeCache) throw errors.API_NOT_FOUND(['This hub has no upstream cache']);
      const b = body(req);
      const unknown = Object.keys(b).filter((k) => !['tenant', 'connection', 'connector', 'all'].includes(k));
      if (unknown.length > 0)
        throw errors.API_BAD_REQUEST([
          `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}: name tenant, connection and/or connector, or all: true`,
        ]);
      if (b.all !== undefined && b.all !== true) throw errors.API_BAD_REQUEST(['all must be true (or left out)']);
      const tenantName = field(b, 'tenant');
      const connectionId = field(b, 'connection');
      const connectorId = field(b, 'connector');
      const named = tenantName !== undefined || connectionId !== undefined || connectorId !== undefined;
      if (named === (b.all === true))
        throw errors.API_BAD_REQUEST([
          named
            ? 'all: true purges everything; leave it out to purge what tenant, connection or connector name'
            : 'name what to purge (tenant, connection and/or connector), or send all: true to purge everything',
        ]);
      const tenant = tenantName !== undefined || actor.tenantId !== null ? await operations.tenant(actor, tenantName) : undefined;
      if (connectionId !== undefined) await operations.connection(actor, connectionId, tenant?.name);
      const scope = { ...(tenant ? { tenantId: tenant.id } : {}), ...(connectionId ? { connectionId } : {}), ...(connectorId ? { connectorId } : {}) };
      await purgeCache(scope);
      await operations.audit(actor, tenant?.id ?? null, 'cache.purge', {
        ...(scope.connectorId ? { connectorId: scope.connectorId } : {}),
        ...(connectionId ? { connectionId } : {}),
        detail: Object.keys(scope).length === 0 ? 'everything' : Object.keys(scope).join(', '),
      });
      return { purged: scope };
    }),
  );
  return router;
}
