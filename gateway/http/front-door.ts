/**
 * Who is calling `/mcp`: passport's bearer strategy with hub API keys (auth/agents),
 * looked up on every request, so a revoked or expired key stops working at once, even
 * inside an open session. In open mode (`serve --no-auth`, for a hub on loopback that
 * only its own user reaches) every request acts as the default tenant.
 *
 * Inbound credentials stop here: the principal carries no key or token, and the
 * pipeline never copies inbound headers upstream.
 */
import type { NextFunction, Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { authenticateAgentKey } from '../../auth/agents/agent-keys';
import type { Principal } from '../../auth/principal';
import type { HubStore } from '../../auth/store/types';
import { isHubError } from '../../errors';

export type Authenticate = (req: Request, res: Response) => Promise<Principal | undefined>;

/** Keys required: answers 401 itself (and returns undefined) when the request has no valid key. */
export function agentKeyAuthentication(store: HubStore): Authenticate {
  const passport = new Passport();
  passport.use(
    'agent-key',
    new BearerStrategy((token, done) => {
      authenticateAgentKey(store, token).then(
        (principal) => done(null, principal),
        (error) => (isHubError(error) && error.code === 'HUB_ERR_AUTH_UNAUTHENTICATED' ? done(null, false, { message: error.message, scope: [] }) : done(error)),
      );
    }),
  );
  const middleware = (req: Request, res: Response, next: NextFunction, callback: (error: unknown, principal: Principal | false, info: unknown) => void) =>
    passport.authenticate('agent-key', { session: false }, callback)(req, res, next);
  return (req, res) =>
    new Promise((resolve, reject) => {
      middleware(req, res, reject, (error, principal, info) => {
        if (error) return reject(error);
        if (principal) return resolve(principal);
        // Our refusals come as { message }; with no token at all passport-http-bearer gives only its challenge string.
        const refused = typeof info === 'object' && info !== null ? (info as { message?: unknown }).message : undefined;
        const message = typeof refused === 'string' ? refused : 'A hub API key is required: send `Authorization: Bearer lsh_...` (create one with `lunar-hub keys create`)';
        unauthorised(res, message);
        resolve(undefined);
      });
    });
}

export function openAuthentication(principal: Principal): Authenticate {
  return async () => principal;
}

export function unauthorised(res: Response, message: string): void {
  res
    .status(401)
    .set('www-authenticate', 'Bearer realm="lunar-hub"')
    .json({ jsonrpc: '2.0', error: { code: -32001, message, data: { code: 'HUB_ERR_AUTH_UNAUTHENTICATED' } }, id: null });
}
