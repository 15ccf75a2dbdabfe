/**
 * The client credentials grant (RFC 6749 §4.4): the hub's own token, no user involved.
 */
import { errors } from '../../errors';
import { clientAuthentication, clientMetadata, type OAuthClient } from './client';
import { exchangeError } from './oauth-errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { toTokenSet, type Clock, type TokenSet } from './token-set';
import { requestOptions } from './transport';

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
  const metadata = clientMetadata(client);
  const params = new URLSearchParams(input.extraParams);
  if (input.scopes.length) params.set('scope', input.scopes.join(' '));
  try {
    const response = await oauth.clientCredentialsGrantRequest(as, metadata, clientAuthentication(as, client), params, requestOptions(as));
    const result = await oauth.processClientCredentialsResponse(as, metadata, response);
    return toTokenSet(result, { now: input.now, requestedScopes: input.scopes });
  } catch (error) {
    throw exchangeError(as.issuer, 'client credentials', error, [client.clientSecret]);
  }
}
