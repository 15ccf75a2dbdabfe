/**
 * Token revocation (RFC 7009): tells the server a token is no longer wanted, e.g. when a
 * connection is removed. Revoking a refresh token usually ends the whole grant.
 */
import { errors } from '../../errors';
import { clientAuthentication, clientMetadata, type OAuthClient } from './client';
import { exchangeError } from './oauth-errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { requestOptions } from './transport';

export interface RevokeInput {
  as: AuthorizationServer;
  client: OAuthClient;
  token: string;
  tokenTypeHint?: 'refresh_token' | 'access_token';
}

export async function revokeToken(input: RevokeInput): Promise<void> {
  const { as, client } = input;
  if (!as.revocation_endpoint) {
    throw errors.OAUTH_APP([`The authorisation server at ${as.issuer} has no revocation endpoint`]);
  }
  const metadata = clientMetadata(client);
  try {
    const response = await oauth.revocationRequest(as, metadata, clientAuthentication(as, client), input.token, {
      ...requestOptions(as),
      additionalParameters: input.tokenTypeHint ? { token_type_hint: input.tokenTypeHint } : undefined,
    });
    await oauth.processRevocationResponse(response);
  } catch (error) {
    throw exchangeError(as.issuer, 'token revocation', error, [input.token, client.clientSecret]);
  }
}
