/** `/oauth-apps`: a tenant's OAuth client registration per connector. */
import express from 'express';
import type { AdminOperations } from '../admin-operations';
import { body, route } from './http';

export function oauthAppsRouter(operations: AdminOperations): express.Router {
  const router = express.Router();
  router.post(
    '/oauth-apps',
    route((actor, req) => operations.registerOAuthApp(actor, body(req) as Parameters<AdminOperations['registerOAuthApp']>[1]), 201),
  );
  return router;
}
