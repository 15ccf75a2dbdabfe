/**
 * The admin REST API under /api (docs/admin-api.md). Admins log in with passport's
 * local strategy (username + password, scrypt-hashed) and get a session token, sent
 * as `Authorization: Bearer` afterwards (passport's bearer strategy; stored hashed,
 * 12 hours). Agent keys are not admin credentials: they get 401 here. Every action goes
 * through AdminOperations, which scopes it to the admin's tenant and audits it.
 */
import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { Strategy as LocalStrategy } from 'passport-local';
import { AdminOperations, type Actor } from '../../auth/admin/admin-operations';
import { verifyPassword } from '../../auth/admin/passwords';
import { hashSecret } from '../../auth/agents/agent-keys';
import type { AuditQuery, ConnectionKind } from '../../store';
import { errors, toHubError } from '../../errors';
import type { HubServices } from '../services';
import type { Registry } from '../registry/registry';
import { testConnection } from '../connection-test';
import type { ExchangeStage } from '../upstream/exchange';

const SESSION_MS = 12 * 3_600_000; // 12 hours

export function adminApi(options: {
  services: HubServices;
  log: Logger;
  registry: Registry;
  purgeCache?: (scope: { tenantId?: string; connectionId?: string; connectorId?: string }) => Promise<void>;
  /** The hub's breaker and limiter for connection tests (UpstreamStages.probeStages). */
  probeStages?: readonly ExchangeStage[];
}): express.Router {
  const { store, box, oauth } = options.services;
  const operations = new AdminOperations(store, box, oauth);
  const passport = new Passport();

  passport.use(
    'admin-password',
    new LocalStrategy((username, password, done) => {
      // JSON bodies may carry numbers or objects here; only strings are credentials (and nothing reaches scrypt's error messages).
      if (typeof username !== 'string' || typeof password !== 'string' || password.length > 1024) return done(null, false);
      (async () => {
        const admin = await store.getAdminByUsername(username);
        // Verify against something even for unknown users: the answer takes as long either way.
        const ok = await verifyPassword(password, admin?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
        return admin && ok && admin.disabledAt === null ? admin : false;
      })().then((admin) => done(null, admin), done);
    }),
  );
  passport.use(
    'admin-session',
    new BearerStrategy((token, done) => {
      (async () => {
        const session = await store.getAdminSession(hashSecret(token), new Date().toISOString());
        const admin = session ? await store.getAdmin(session.adminId) : undefined;
        return admin && admin.disabledAt === null ? ({ kind: 'admin', id: admin.id, tenantId: admin.tenantId } satisfies Actor) : false;
      })().then((actor) => done(null, actor), done);
    }),
  );

  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  router.post('/login', (req, res, next) => {
    passport.authenticate('admin-password', { session: false }, (error: unknown, admin: { id: string; tenantId: string | null } | false) => {
      if (error) return next(error);
      if (!admin) return sendError(res, errors.AUTH_UNAUTHENTICATED(['Unknown user name or wrong password']));
      const token = `lsa_${randomBytes(32).toString('base64url')}`;
      const now = new Date();
      const expiresAt = new Date(now.getTime() + SESSION_MS).toISOString();
      const actor: Actor = { kind: 'admin', id: admin.id, tenantId: admin.tenantId };
      store
        .createAdminSession({ tokenHash: hashSecret(token), adminId: admin.id, createdAt: now.toISOString(), expiresAt })
        .then(() => operations.audit(actor, admin.tenantId, 'admin.login'))
        .then(() => res.json({ token, expiresAt }), next);
    })(req, res, next);
  });

  // Everything below needs an admin session.
  router.use((req, res, next) => {
    passport.authenticate('admin-session', { session: false }, (error: unknown, actor: Actor | false) => {
      if (error) return next(error);
      if (!actor) return sendError(res, errors.AUTH_UNAUTHENTICATED(['An admin session is required: POST /api/login with username and password, then send `Authorization: Bearer <token>`']));
      res.locals.actor = actor;
      next();
    })(req, res, next);
  });

  const route = (handler: (actor: Actor, req: Request) => Promise<unknown>, status = 200) => (req: Request, res: Response, next: NextFunction) => {
    handler(res.locals.actor as Actor, req).then((body) => res.status(status).json(body), next);
  };
  const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? req.body : {});
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  /** A body field that may be left out: a value of another type is a 400 naming it, never read as "not given". */
  const field = (b: Record<string, unknown>, name: string): string | undefined => {
    const value = b[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '') throw errors.API_BAD_REQUEST([`${name} must be a non-empty string (got ${JSON.stringify(value).slice(0, 40)})`]);
    return value;
  };

  router.post('/logout', route(async (actor, req) => {
    await store.deleteAdminSession(hashSecret(String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')));
    await operations.audit(actor, actor.tenantId, 'admin.logout');
    return { ok: true };
  }));
  router.get('/tenants', route((actor) => operations.listTenants(actor)));
  router.post('/tenants', route((actor, req) => operations.createTenant(actor, body(req).name as string), 201));
  router.post('/tenants/:name/quota', route((actor, req) => operations.setTenantQuota(actor, String(req.params.name), (body(req).callsPerMinute as number | null | undefined) ?? null)));
  router.post('/admins', route((actor, req) => operations.createAdmin(actor, body(req) as { username: string; password: string; tenant?: string }), 201));

  router.get('/keys', route((actor, req) => operations.listKeys(actor, text(req.query.tenant))));
  router.post('/keys', route(async (actor, req) => {
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
  }, 201));
  router.post('/keys/:id/revoke', route((actor, req) => operations.revokeKey(actor, String(req.params.id), text(req.query.tenant))));

  router.get('/connections', route((actor, req) => operations.listConnections(actor, text(req.query.tenant), text(req.query.connector))));
  router.post('/connections', route((actor, req) => {
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
  }, 201));
  router.post('/connections/oauth', route((actor, req) => {
    const b = body(req);
    return operations.connectOAuth(actor, { tenant: field(b, 'tenant'), connector: b.connector as string, user: field(b, 'user') ?? null, flow: b.flow as 'authorization_code' | 'client_credentials' | undefined });
  }, 201));
  router.post('/connections/:id/reconnect', route((actor, req) => operations.reconnect(actor, String(req.params.id), text(req.query.tenant))));
  router.post('/connections/:id/test', route(async (actor, req) => {
    const connection = await operations.connection(actor, String(req.params.id), text(req.query.tenant));
    const report = await testConnection(options.services, options.registry, options.log, connection, options.probeStages);
    await operations.audit(actor, connection.tenantId, 'connection.test', { connectorId: connection.connectorId, connectionId: connection.id, outcome: report.ok ? 'ok' : 'error', detail: report.status !== undefined ? `upstream ${report.status}` : report.ok ? 'opened' : 'failed' });
    return report;
  }));
  router.post('/connections/:id/revoke', route((actor, req) => operations.revokeConnection(actor, String(req.params.id), text(req.query.tenant))));
  router.post('/connections/:id/share', route((actor, req) => operations.shareConnection(actor, String(req.params.id), (body(req).shared ?? true) as boolean, text(req.query.tenant))));

  // Drops cached upstream answers: a tenant's (a tenant admin: only its own), one connection's, one connector's, or
  // (hub-wide admins) all, which must be asked for with `all: true`: a mistyped field never widens a purge.
  router.post('/cache/purge', route(async (actor, req) => {
    if (!options.purgeCache) throw errors.API_NOT_FOUND(['This hub has no upstream cache']);
    const b = body(req);
    const unknown = Object.keys(b).filter((k) => !['tenant', 'connection', 'connector', 'all'].includes(k));
    if (unknown.length > 0) throw errors.API_BAD_REQUEST([`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}: name tenant, connection and/or connector, or all: true`]);
    if (b.all !== undefined && b.all !== true) throw errors.API_BAD_REQUEST(['all must be true (or left out)']);
    const tenantName = field(b, 'tenant');
    const connectionId = field(b, 'connection');
    const connectorId = field(b, 'connector');
    const named = tenantName !== undefined || connectionId !== undefined || connectorId !== undefined;
    if (named === (b.all === true)) throw errors.API_BAD_REQUEST([named ? 'all: true purges everything; leave it out to purge what tenant, connection or connector name' : 'name what to purge (tenant, connection and/or connector), or send all: true to purge everything']);
    const tenant = tenantName !== undefined || actor.tenantId !== null ? await operations.tenant(actor, tenantName) : undefined;
    if (connectionId !== undefined) await operations.connection(actor, connectionId, tenant?.name);
    const scope = { ...(tenant ? { tenantId: tenant.id } : {}), ...(connectionId ? { connectionId } : {}), ...(connectorId ? { connectorId } : {}) };
    await options.purgeCache(scope);
    await operations.audit(actor, tenant?.id ?? null, 'cache.purge', { ...(scope.connectorId ? { connectorId: scope.connectorId } : {}), ...(connectionId ? { connectionId } : {}), detail: Object.keys(scope).length === 0 ? 'everything' : Object.keys(scope).join(', ') });
    return { purged: scope };
  }));
  router.post('/oauth-apps', route((actor, req) => operations.registerOAuthApp(actor, body(req) as Parameters<AdminOperations['registerOAuthApp']>[1]), 201));

  router.get('/audit', route((actor, req) => {
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
  }));

  router.use((_req: Request, res: Response) => sendError(res, errors.API_NOT_FOUND(['No such admin API route'])));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // body-parser's refusals (broken JSON, a body over the limit) are the client's mistake, not ours.
    const parser = error as { status?: unknown; type?: unknown; message?: unknown };
    const hubError =
      typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500 && typeof parser.type === 'string'
        ? errors.API_BAD_REQUEST([`the request body cannot be read: ${String(parser.message)}`])
        : toHubError(error);
    // The message only: an error's cause may hold request values (a password, a token).
    if (hubError.code === 'HUB_ERR_INTERNAL') options.log.error({ err: hubError.message }, 'admin API request failed');
    sendError(res, hubError);
  });
  return router;
}

/**
 * `/oauth/callback`: where the authorisation server sends the admin's browser back. Not
 * behind the admin session (the browser carries none): the state, usable once and for
 * ten minutes, is what ties the callback to the authorisation an admin started.
 */
export function oauthCallback(options: { services: HubServices; log: Logger }): express.RequestHandler {
  const operations = new AdminOperations(options.services.store, options.services.box, options.services.oauth);
  return (req, res) => {
    const url = new URL(req.originalUrl, 'http://hub.invalid');
    const failure = url.searchParams.get('error');
    const finished = failure
      ? Promise.reject(errors.OAUTH_CALLBACK([`the authorisation server answered ${failure}${url.searchParams.get('error_description') ? `: ${url.searchParams.get('error_description')}` : ''}`]))
      : options.services.oauth.finish(url);
    finished.then(
      async (connection) => {
        // The connection works whatever happens to its audit entry: the page says so either way.
        await operations
          .audit({ kind: 'system', id: 'oauth-callback', tenantId: connection.tenantId }, connection.tenantId, 'connection.activate', { connectorId: connection.connectorId, connectionId: connection.id })
          .catch((error: Error) => options.log.error({ err: error.message, connection: connection.id }, 'audit entry not written'));
        res.status(200).type('html').send(page('Connected', `The ${escapeHtml(connection.connectorId)} connection ${escapeHtml(connection.id)} is ready. You can close this window.`));
      },
      (error: unknown) => {
        const hubError = toHubError(error);
        if (hubError.code === 'HUB_ERR_INTERNAL') options.log.error({ err: hubError.message }, 'OAuth callback failed');
        else options.log.warn({ code: hubError.code, err: hubError.message }, 'OAuth callback refused');
        res.status(hubError.httpStatus).type('html').send(page('Not connected', `${escapeHtml(hubError.code)}: ${escapeHtml(hubError.code === 'HUB_ERR_INTERNAL' ? 'Internal error' : hubError.message)}`));
      },
    );
  };
}

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} - Lunar Snake Hub</title></head><body><h1>${title}</h1><p>${message}</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function isoTime(field: string, value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw errors.API_BAD_REQUEST([`${field} must be a date-time such as 2026-11-26T10:00:00Z`]);
  return new Date(ms).toISOString();
}

function sendError(res: Response, error: { code: string; message: string; httpStatus: number }): void {
  if (error.httpStatus === 401) res.set('www-authenticate', 'Bearer realm="lunar-hub-admin"');
  res.status(error.httpStatus).json({ error: { code: error.code, message: error.code === 'HUB_ERR_INTERNAL' ? 'Internal error' : error.message } });
}
