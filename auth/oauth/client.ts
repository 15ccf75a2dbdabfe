/**
 * The hub as an OAuth client of one authorisation server: its identity, and how it
 * authenticates at the token, device and revocation endpoints.
 */
import { errors } from '../../errors';
import { oauth, type AuthorizationServer, type Client, type ClientAuth } from './oauth4webapi';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface OAuthClient {
  clientId: string;
  /** Absent for a public client. */
  clientSecret?: string;
  /**
   * How to present the secret. When absent: `none` without a secret; with one, HTTP Basic
   * (`client_secret_basic`) unless the server's `token_endpoint_auth_methods_supported` lists
   * only `client_secret_post`. Set it when the client was registered for a specific method.
   */
  authMethod?: ClientAuthMethod;
}

/** oauth4webapi's client metadata for `client`. */
export function clientMetadata(client: OAuthClient): Client {
  if (!client.clientId) throw errors.OAUTH_APP(['The OAuth client id is empty']);
  return { client_id: client.clientId };
}

/** The method `client` will use against `as` (see OAuthClient.authMethod). */
export function chooseAuthMethod(as: AuthorizationServer, client: OAuthClient): ClientAuthMethod {
  if (client.authMethod) return client.authMethod;
  if (!client.clientSecret) return 'none';
  const supported = as.token_endpoint_auth_methods_supported;
  if (supported && !supported.includes('client_secret_basic') && supported.includes('client_secret_post')) {
    return 'client_secret_post';
  }
  return 'client_secret_basic';
}

export function clientAuthentication(as: AuthorizationServer, client: OAuthClient): ClientAuth {
  const method = chooseAuthMethod(as, client);
  if (method === 'none') return oauth.None();
  if (!client.clientSecret) {
    throw errors.OAUTH_APP([`The OAuth client "${client.clientId}" uses ${method} but has no client secret`]);
  }
  return method === 'client_secret_post' ? oauth.ClientSecretPost(client.clientSecret) : oauth.ClientSecretBasic(client.clientSecret);
}
