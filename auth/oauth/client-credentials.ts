/**
 * The client credentials grant (RFC 6749 §4.4): the hub's own token, no user involved.
 */
import { errors } from '../../errors';
import type { OAuthClient } from './client';
import { withClient } from './client-exchange';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { toTokenSet, type Clock, type TokenSet } from './token-set';

export interface ClientCredentialsInput {
  as: AuthorizationServer;
  client: OAuthClient;
  scopes: readonly string[];
  /** Server-specific extras (`audience`, `resource`...). */
  extraParams?: Record<string, string>;
  now?: Clock;
}

export async function clientCredentialsToken(input: ClientCredentialsInput): Promise<TokenSet> {
  const { as, client } = input;
  if (!client.clientSecret) {
    throw errors.OAUTH_APP([`The OAuth client "${client.clientId}" has no client secret; the client credentials grant needs one`]);
  }
  const params = new URLSearchParams(input.extraParams);
  if (input.scopes.length) params.set('scope', input.scopes.join(' '));
  return withClient({ as, client, exchange: 'client credentials', secrets: [client.clientSecret] }, async ({ metadata, auth, options }) => {
    const response = await oauth.clientCredentialsGrantRequest(as, metadata, auth, params, options);
    const result = await oauth.processClientCredentialsResponse(as, metadata, response);
    return toTokenSet(result, { now: input.now, requestedScopes: input.scopes });
  });
}
