/** `/audit`: the audit trail, filtered and paged newest first. */
import express from 'express';
import type { AuditQuery } from '../../store';
import type { AdminOperations } from '../admin-operations';
import { isoTime, route, text } from './http';

export function auditRouter(operations: AdminOperations): express.Router {
  const router = express.Router();
  router.get(
    '/audit',
    route((actor, req) => {
      const q = req.query;
      const number = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
      const query: Omit<AuditQuery, 'tenantId'> & { tenant?: string } = {
        ...(text(q.tenant) ? { tenant: text(q.tenant) } : {}),
        ...(text(q.agent) ? { actorId: text(q.agent) } : {}),
        ...(text(q.tool) ? { tool: text(q.tool) } : {}),
        ...(text(q.action) ? { action: text(q.action) } : {}),
        ...(text(q.since) ? { since: isoTime('since', text(q.since)!) } : {}),
        ...(text(q.until) ? { until: isoTime('until', text(q.until)!) } : {}),
        ...(number(q.limit) !== undefined ? { limit: number(q.limit) } : {}),
        ...(number(q.before) !== undefined ? { before: number(q.before) } : {}),
      };
      return operations.queryAudit(actor, query);
    }),
  );
  return router;
}
