/**
 * The authorization code grant (RFC 6749 §4.1) with PKCE S256 always (RFC 7636), a random
 * `state` always, and a `nonce` when OpenID Connect is asked for (scope `openid`).
 *
 * startAuthorization builds the URL to send the user to and the values the caller must keep
 * (in the pending-authorisation store) until the callback; finishAuthorization checks the
 * callback and exchanges the code. The callback is checked before any request is made: a
 * wrong `state`, an `error=` or a missing code never reaches the token endpoint.
 */
import { errors } from '../../errors';
import { clientMetadata, type OAuthClient } from './client';
import { withClient } from './client-exchange';
import { callbackError } from './oauth-errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { toTokenSet, type Clock, type TokenSet } from './token-set';
import { requestOptions } from './transport';

/** Parameters the hub sets itself; `extraParams` may not override them. */
const RESERVED = new Set(['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']);

export interface StartAuthorizationInput {
  as: AuthorizationServer;
  client: Pick<OAuthClient, 'clientId'>;
  redirectUri: string;
  scopes: readonly string[];
  /** Server-specific extras (`audience`, `prompt`, `access_type`...). */
  extraParams?: Record<string, string>;
}

export interface StartedAuthorization {
  /** Where to send the user. */
  url: string;
  /** Keep until the callback: it must come back unchanged. */
  state: string;
  /** Keep until the callback (secret: it proves the callback's code is ours). */
  codeVerifier: string;
  /** Present when `openid` was asked for; keep until the callback. */
  nonce?: string;
}

export async function startAuthorization(input: StartAuthorizationInput): Promise<StartedAuthorization> {
  const { as } = input;
  if (!as.authorization_endpoint) {
    throw errors.OAUTH_APP([`The authorisation server at ${as.issuer} has no authorization endpoint`]);
  }
  requestOptions(as); // applies the https/loopback rule to every endpoint before the user is sent anywhere
  checkRedirectUri(input.redirectUri);
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries(input.extraParams ?? {})) {
    if (RESERVED.has(name)) throw errors.OAUTH_APP([`The extra authorization parameter "${name}" is set by the hub and cannot be overridden`]);
    url.searchParams.set(name, value);
  }
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  url.searchParams.set('client_id', input.client.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('response_type', 'code');
  if (input.scopes.length) url.searchParams.set('scope', input.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  const started: StartedAuthorization = { url: url.href, state, codeVerifier };
  if (input.scopes.includes('openid')) {
    started.nonce = oauth.generateRandomNonce();
    url.searchParams.set('nonce', started.nonce);
    started.url = url.href;
  }
  return started;
}

export interface FinishAuthorizationInput {
  as: AuthorizationServer;
  client: OAuthClient;
  redirectUri: string;
  /** The callback's query (or the whole callback URL). */
  callbackParams: URLSearchParams | URL;
  expectedState: string;
  codeVerifier: string;
  /** The nonce from startAuthorization, when one was sent. */
  nonce?: string;
  /** The scopes asked for: the token set's `scope` when the server does not say. */
  scopes?: readonly string[];
  now?: Clock;
}

export async function finishAuthorization(input: FinishAuthorizationInput): Promise<TokenSet> {
  const { as } = input;
  const metadata = clientMetadata(input.client);
  const params = input.callbackParams instanceof URL ? input.callbackParams.searchParams : input.callbackParams;
  const code = params.get('code') ?? undefined;
  const secrets = [code, input.codeVerifier, input.client.clientSecret];
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(as, metadata, params, input.expectedState);
  } catch (error) {
    throw callbackError(error, secrets);
  }
  if (!code) throw errors.OAUTH_CALLBACK(['the callback carries no authorization code']);
  return withClient({ as, client: input.client, exchange: 'authorization code', secrets }, async ({ auth, options }) => {
    const response = await oauth.authorizationCodeGrantRequest(as, metadata, auth, validated, input.redirectUri, input.codeVerifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, metadata, response, {
      expectedNonce: input.nonce ?? oauth.expectNoNonce,
    });
    return toTokenSet(result, { now: input.now, requestedScopes: input.scopes });
  });
}

function checkRedirectUri(redirectUri: string): void {
  try {
    new URL(redirectUri);
  } catch {
    throw errors.OAUTH_APP(['The OAuth redirect URI is not an absolute URL']);
  }
}
