/**
 * What every request of the hub's OAuth client shares: who the client is (metadata), how
 * it authenticates at the endpoint, the transport rules (https, loopback for tests), and
 * one mapping of any failure into HUB_ERR_OAUTH_EXCHANGE with the secrets it carried
 * redacted. Each grant supplies only its own request and response handling.
 */
import { clientAuthentication, clientMetadata, type OAuthClient } from './client';
import { exchangeError, type Exchange } from './oauth-errors';
import type { AuthorizationServer, Client, ClientAuth } from './oauth4webapi';
import { requestOptions, type RequestOptions } from './transport';

export interface ClientCall {
  metadata: Client;
  auth: ClientAuth;
  options: RequestOptions;
}

export interface ClientExchange<T> {
  as: AuthorizationServer;
  client: OAuthClient;
  /** Named in the error (`refresh token`, `device code`...). */
  exchange: Exchange;
  /** What the request carries, never to be shown: codes, verifiers, tokens, the client secret. */
  secrets: ReadonlyArray<string | undefined>;
  /** An answer the grant treats as a result rather than a failure (a pending device code). */
  recover?: (error: unknown) => T | undefined;
}

export async function withClient<T>(input: ClientExchange<T>, run: (call: ClientCall) => Promise<T>): Promise<T> {
  const { as, client } = input;
  const metadata = clientMetadata(client);
  try {
    return await run({ metadata, auth: clientAuthentication(as, client), options: requestOptions(as) });
  } catch (error) {
    const recovered = input.recover?.(error);
    if (recovered !== undefined) return recovered;
    throw exchangeError(as.issuer, input.exchange, error, input.secrets);
  }
}
