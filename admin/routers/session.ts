/**
 * Admin sign-in: passport's local strategy (username + password, scrypt-hashed) at
 * `POST /login` hands out a session token, sent as `Authorization: Bearer` afterwards
 * (passport's bearer strategy; stored hashed, 12 hours). Agent keys are not admin
 * credentials: they get 401 here.
 */
import { randomBytes } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { Strategy as LocalStrategy } from 'passport-local';
import { hashSecret } from '../../auth';
import { errors } from '../../errors';
import type { HubStore } from '../../store';
import type { Actor, AdminOperations } from '../admin-operations';
import { verifyPassword } from '../passwords';
import { route, sendError } from './http';

const SESSION_MS = 12 * 3_600_000; // 12 hours

/** Checked for unknown users too, so that the answer takes as long either way. */
const NO_ADMIN_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function adminSessions(store: HubStore, operations: AdminOperations): { login: express.Router; requireAdmin: RequestHandler; logout: express.Router } {
  const passport = new Passport();
  passport.use(
    'admin-password',
    new LocalStrategy((username, password, done) => {
      // JSON bodies may carry numbers or objects here; only strings are credentials (and nothing reaches scrypt's error messages).
      if (typeof username !== 'string' || typeof password !== 'string' || password.length > 1024) return done(null, false);
      (async () => {
        const admin = await store.getAdminByUsername(username);
        const ok = await verifyPassword(password, admin?.passwordHash ?? NO_ADMIN_HASH);
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

  const login = express.Router();
  login.post('/login', (req, res, next) => {
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

  const requireAdmin: RequestHandler = (req, res, next) => {
    passport.authenticate('admin-session', { session: false }, (error: unknown, actor: Actor | false) => {
      if (error) return next(error);
      if (!actor)
        return sendError(
          res,
          errors.AUTH_UNAUTHENTICATED(['An admin session is required: POST /api/login with username and password, then send `Authorization: Bearer <token>`']),
        );
      res.locals.actor = actor;
      next();
    })(req, res, next);
  };

  const logout = express.Router();
  logout.post(
    '/logout',
    route(async (actor, req) => {
      await store.deleteAdminSession(hashSecret(String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '')));
      await operations.audit(actor, actor.tenantId, 'admin.logout');
      return { ok: true };
    }),
  );

  return { login, requireAdmin, logout };
}
