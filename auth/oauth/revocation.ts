/**
 * Token revocation (RFC 7009): tells the server a token is no longer wanted, e.g. when a
 * connection is removed. Revoking a refresh token usually ends the whole grant.
 */
import { errors } from '../../errors';
import type { OAuthClient } from './client';
import { withClient } from './client-exchange';
import { oauth, type AuthorizationServer } from './oauth4webapi';

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
  await withClient({ as, client, exchange: 'token revocation', secrets: [input.token, client.clientSecret] }, async ({ metadata, auth, options }) => {
    const response = await oauth.revocationRequest(as, metadata, auth, input.token, {
      ...options,
      additionalParameters: input.tokenTypeHint ? { token_type_hint: input.tokenTypeHint } : undefined,
    });
    await oauth.processRevocationResponse(response);
  });
}
