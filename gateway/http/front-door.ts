/**
 * Who is calling `/mcp`: passport's bearer strategy with hub API keys (auth/agents),
 * looked up on every request, so a revoked or expired key stops working at once, even
 * inside an open session; and, when an external authorisation server is configured,
 * its JWT access tokens (the MCP authorization spec; `/.well-known/oauth-protected-resource`
 * tells clients where to get one). In open mode (`serve --no-auth`, for a hub on
 * loopback that only its own user reaches) every request acts as the default tenant.
 *
 * Inbound credentials stop here: the principal carries no key or token, and the
 * pipeline never copies inbound headers upstream.
 */
import type { NextFunction, Request, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { authenticateAgentKey, type JwtAccessTokens, type Principal } from '../../auth';
import type { HubStore } from '../../store';
import { isHubError } from '../../errors';

export type Authenticate = (req: Request, res: Response) => Promise<Principal | undefined>;

/** Keys required: answers 401 itself (and returns undefined) when the request has no valid key. */
export function agentKeyAuthentication(store: HubStore, jwt?: JwtAccessTokens, resourceMetadataUrl?: () => string): Authenticate {
  const passport = new Passport();
  // Why a token was refused, by request: passport-http-bearer folds the reason into its challenge header, unescaped.
  const refusals = new WeakMap<Request, string>();
  passport.use(
    'agent-key',
    new BearerStrategy({ passReqToCallback: true }, (req: Request, token: string, done: (error: unknown, user?: Principal | false) => void) => {
      // Hub keys have their own shape; anything else is a JWT when an issuer is configured.
      const principal = jwt && !token.startsWith('lsh_') ? jwt.authenticate(token) : authenticateAgentKey(store, token);
      principal.then(
        (principal) => done(null, principal),
        (error) => {
          if (!isHubError(error) || error.code !== 'HUB_ERR_AUTH_UNAUTHENTICATED') return done(error);
          refusals.set(req, error.message);
          done(null, false);
        },
      );
    }),
  );
  const middleware = (req: Request, res: Response, next: NextFunction, callback: (error: unknown, principal: Principal | false, info: unknown) => void) =>
    passport.authenticate('agent-key', { session: false }, callback)(req, res, next);
  return (req, res) =>
    new Promise((resolve, reject) => {
      middleware(req, res, reject, (error, principal) => {
        if (error) return reject(error);
        if (principal) return resolve(principal);
        const message = refusals.get(req) ?? 'A hub API key is required: send `Authorization: Bearer lsh_...` (create one with `lunar-hub keys create`)';
        unauthorised(res, message, resourceMetadataUrl?.());
        resolve(undefined);
      });
    });
}

export function openAuthentication(principal: Principal): Authenticate {
  return async () => principal;
}

export function unauthorised(res: Response, message: string, resourceMetadataUrl?: string): void {
  res
    .status(401)
    // RFC 9728: the challenge points MCP clients at the protected resource metadata.
    .set('www-authenticate', resourceMetadataUrl ? `Bearer realm="lunar-hub", resource_metadata="${resourceMetadataUrl}"` : 'Bearer realm="lunar-hub"')
    .json({ jsonrpc: '2.0', error: { code: -32001, message, data: { code: 'HUB_ERR_AUTH_UNAUTHENTICATED' } }, id: null });
}

/** RFC 9728 protected resource metadata for `/mcp`: which authorisation server issues tokens for it. */
export function protectedResourceMetadata(jwt: JwtAccessTokens, resource: () => string) {
  return (_req: Request, res: Response): void => {
    res.json({
      resource: resource(),
      authorization_servers: [jwt.config.issuer],
      bearer_methods_supported: ['header'],
      resource_name: 'Lunar Snake Hub MCP',
    });
  };
}
