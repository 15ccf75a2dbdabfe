/**
 * The refresh token grant (RFC 6749 §6). When the server rotates refresh tokens the new one
 * comes back in the token set; when it does not, the old one is kept.
 */
import { REFRESH_ENDPOINT } from './authorization-server';
import { clientAuthentication, clientMetadata, type OAuthClient } from './client';
import { exchangeError } from './oauth-errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { toTokenSet, type Clock, type TokenSet } from './token-set';
import { requestOptions } from './transport';

export interface RefreshInput {
  as: AuthorizationServer;
  client: OAuthClient;
  refreshToken: string;
  /** Narrower scopes to ask for; default: the ones originally granted. */
  scopes?: readonly string[];
  now?: Clock;
}

export async function refreshTokens(input: RefreshInput): Promise<TokenSet> {
  const metadata = clientMetadata(input.client);
  // OpenAPI's refreshUrl, when it differs from tokenUrl (authorization-server.ts).
  const refreshEndpoint = input.as[REFRESH_ENDPOINT];
  const as: AuthorizationServer = typeof refreshEndpoint === 'string' ? { ...input.as, token_endpoint: refreshEndpoint } : input.as;
  try {
    const response = await oauth.refreshTokenGrantRequest(as, metadata, clientAuthentication(as, input.client), input.refreshToken, {
      ...requestOptions(as),
      additionalParameters: input.scopes?.length ? { scope: input.scopes.join(' ') } : undefined,
    });
    const result = await oauth.processRefreshTokenResponse(as, metadata, response);
    return toTokenSet(result, { now: input.now, requestedScopes: input.scopes, previousRefreshToken: input.refreshToken });
  } catch (error) {
    throw exchangeError(as.issuer, 'refresh token', error, [input.refreshToken, input.client.clientSecret]);
  }
}
