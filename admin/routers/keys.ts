/** `/keys`: hub API keys for agents. */
import express from 'express';
import type { AdminOperations } from '../admin-operations';
import { body, field, route, text } from './http';

export function keysRouter(operations: AdminOperations): express.Router {
  const router = express.Router();
  router.get(
    '/keys',
    route((actor, req) => operations.listKeys(actor, text(req.query.tenant))),
  );
  router.post(
    '/keys',
    route(async (actor, req) => {
      const b = body(req);
      const { key, record } = await operations.issueKey(actor, {
        tenant: field(b, 'tenant'),
        user: field(b, 'user') ?? null,
        name: b.name as string,
        toolsets: b.toolsets as string[] | undefined,
        readOnly: b.readOnly === true,
        callsPerMinute: (b.callsPerMinute as number | null | undefined) ?? null,
        expiresAt: (b.expiresAt as string | undefined) ?? null,
      });
      const { keyHash: _hash, ...shown } = record;
      // The only time the key is shown.
      return { key, ...shown };
    }, 201),
  );
  router.post(
    '/keys/:id/revoke',
    route((actor, req) => operations.revokeKey(actor, String(req.params.id), text(req.query.tenant))),
  );
  return router;
}
