/** `/tenants` and `/admins`: who uses the hub and who administers it. */
import express from 'express';
import type { AdminOperations } from '../admin-operations';
import { body, route } from './http';

export function tenantsRouter(operations: AdminOperations): express.Router {
  const router = express.Router();
  router.get(
    '/tenants',
    route((actor) => operations.listTenants(actor)),
  );
  router.post(
    '/tenants',
    route((actor, req) => operations.createTenant(actor, body(req).name as string), 201),
  );
  router.post(
    '/tenants/:name/quota',
    route((actor, req) => operations.setTenantQuota(actor, String(req.params.name), (body(req).callsPerMinute as number | null | undefined) ?? null)),
  );
  return router;
}

export function adminsRouter(operations: AdminOperations): express.Router {
  const router = express.Router();
  router.post(
    '/admins',
    route((actor, req) => operations.createAdmin(actor, body(req) as { username: string; password: string; tenant?: string }), 201),
  );
  return router;
}
