/**
 * The refresh token grant (RFC 6749 §6). When the server rotates refresh tokens the new one
 * comes back in the token set; when it does not, the old one is kept.
 */
import { REFRESH_ENDPOINT } from './authorization-server';
import type { OAuthClient } from './client';
import { withClient } from './client-exchange';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { toTokenSet, type Clock, type TokenSet } from './token-set';

export interface RefreshInput {
  as: AuthorizationServer;
  client: OAuthClient;
  refreshToken: string;
  /** Narrower scopes to ask for; default: the ones originally granted. */
  scopes?: readonly string[];
  now?: Clock;
}

export async function refreshTokens(input: RefreshInput): Promise<TokenSet> {
  // OpenAPI's refreshUrl, when it differs from tokenUrl (authorization-server.ts).
  const refreshEndpoint = input.as[REFRESH_ENDPOINT];
  const as: AuthorizationServer = typeof refreshEndpoint === 'string' ? { ...input.as, token_endpoint: refreshEndpoint } : input.as;
  return withClient(
    { as, client: input.client, exchange: 'refresh token', secrets: [input.refreshToken, input.client.clientSecret] },
    async ({ metadata, auth, options }) => {
      const response = await oauth.refreshTokenGrantRequest(as, metadata, auth, input.refreshToken, {
        ...options,
        additionalParameters: input.scopes?.length ? { scope: input.scopes.join(' ') } : undefined,
      });
      const result = await oauth.processRefreshTokenResponse(as, metadata, response);
      return toTokenSet(result, { now: input.now, requestedScopes: input.scopes, previousRefreshToken: input.refreshToken });
    },
  );
}
