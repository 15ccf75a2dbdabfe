/**
 * Describes an authorisation server as oauth4webapi's `AuthorizationServer` metadata, from
 * either of two sources:
 *
 * - discovery: OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`), falling
 *   back to RFC 8414 (`/.well-known/oauth-authorization-server`) when the first answers 404;
 * - explicit endpoints: an OpenAPI `oauth2` security scheme's flows (OAS 3.0/3.1 §4.8.27-28
 *   "OAuth Flows Object": authorizationUrl, tokenUrl, refreshUrl; OAS 3.2 adds
 *   deviceAuthorizationUrl), plus what the connector's config adds (device authorisation and
 *   revocation URLs, the issuer).
 *
 * Every URL passes transport.ts's rule (https://, or http:// on a loopback host only).
 */
import { errors } from '../../errors';
import { exchangeError } from './oauth-errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { checkAuthorizationServer, checkEndpoint, printable, requestOptions } from './transport';

/** Non-standard metadata field: where refresh-token grants go when OpenAPI's `refreshUrl` differs from `tokenUrl`. */
export const REFRESH_ENDPOINT = 'hub_refresh_endpoint';

export interface DiscoveryOptions {
  /** Which well-known document to read; default: OpenID Connect, then RFC 8414 on a 404. */
  algorithm?: 'oidc' | 'oauth2';
}

/** Reads the issuer's metadata document and checks that it belongs to that issuer. */
export async function discoverAuthorizationServer(issuer: string, options: DiscoveryOptions = {}): Promise<AuthorizationServer> {
  const { url } = checkEndpoint(issuer, 'issuer');
  const transport = requestOptions({ issuer });
  const algorithms = options.algorithm ? [options.algorithm] : (['oidc', 'oauth2'] as const);
  let as: AuthorizationServer | undefined;
  try {
    for (const algorithm of algorithms) {
      const response = await oauth.discoveryRequest(url, { ...transport, algorithm });
      if (response.status === 404 && algorithm !== algorithms[algorithms.length - 1]) {
        await response.body?.cancel();
        continue;
      }
      as = await oauth.processDiscoveryResponse(url, response);
      break;
    }
  } catch (error) {
    throw exchangeError(issuer, 'metadata request', error, []);
  }
  if (!as) throw errors.OAUTH_EXCHANGE([issuer, 'metadata request', 'no metadata document found']);
  checkAuthorizationServer(as);
  return as;
}

/** One OpenAPI OAuth Flow Object (the fields the hub reads). */
export interface OpenApiOAuthFlow {
  authorizationUrl?: string;
  tokenUrl?: string;
  refreshUrl?: string;
  /** OAS 3.2 `deviceAuthorization` flow. */
  deviceAuthorizationUrl?: string;
  scopes?: Record<string, string>;
}

/** An OpenAPI OAuth Flows Object. `implicit` and `password` are not flows the hub runs. */
export interface OpenApiOAuthFlows {
  authorizationCode?: OpenApiOAuthFlow;
  clientCredentials?: OpenApiOAuthFlow;
  deviceAuthorization?: OpenApiOAuthFlow;
  implicit?: OpenApiOAuthFlow;
  password?: OpenApiOAuthFlow;
}

export type HubFlow = 'authorizationCode' | 'clientCredentials' | 'deviceAuthorization';
const HUB_FLOWS: readonly HubFlow[] = ['authorizationCode', 'clientCredentials', 'deviceAuthorization'];

export interface ExplicitEndpoints {
  /** Defaults to the token URL's origin. It must match the `iss` the server puts in callbacks and ID Tokens. */
  issuer?: string;
  authorizationUrl?: string;
  tokenUrl: string;
  /** Where refresh-token grants go, when not the token URL. */
  refreshUrl?: string;
  deviceAuthorizationUrl?: string;
  revocationUrl?: string;
  /** The server's `token_endpoint_auth_methods_supported`, when known. */
  tokenEndpointAuthMethods?: string[];
}

/** Metadata for a server known by its endpoints (no discovery). */
export function authorizationServerFromEndpoints(endpoints: ExplicitEndpoints): AuthorizationServer {
  const token = checkEndpoint(endpoints.tokenUrl, 'token URL').url;
  // The issuer is compared character for character (RFC 9207 `iss`, ID Tokens): kept as given.
  if (endpoints.issuer !== undefined) checkEndpoint(endpoints.issuer, 'issuer');
  const metadata: Record<string, string | string[]> = {
    issuer: endpoints.issuer ?? token.origin,
    token_endpoint: token.href,
  };
  const optional: Array<[keyof ExplicitEndpoints, string, string]> = [
    ['authorizationUrl', 'authorization_endpoint', 'authorization URL'],
    ['refreshUrl', REFRESH_ENDPOINT, 'refresh URL'],
    ['deviceAuthorizationUrl', 'device_authorization_endpoint', 'device authorization URL'],
    ['revocationUrl', 'revocation_endpoint', 'revocation URL'],
  ];
  for (const [key, field, what] of optional) {
    const value = endpoints[key];
    if (typeof value === 'string') metadata[field] = checkEndpoint(value, what).url.href;
  }
  if (metadata[REFRESH_ENDPOINT] === metadata.token_endpoint) delete metadata[REFRESH_ENDPOINT];
  if (endpoints.tokenEndpointAuthMethods) metadata.token_endpoint_auth_methods_supported = [...endpoints.tokenEndpointAuthMethods];
  const as = metadata as unknown as AuthorizationServer;
  checkAuthorizationServer(as);
  return as;
}

export interface FlowsOptions {
  /** Use only this flow's URLs (needed when the flows name different token URLs). */
  flow?: HubFlow;
  /** Resolves relative URLs (OAS 3.1 allows them, relative to the API's server URL). */
  baseUrl?: string;
  issuer?: string;
  /** Not in OAS 3.0/3.1 flows: given by the connector's config. */
  deviceAuthorizationUrl?: string;
  revocationUrl?: string;
  tokenEndpointAuthMethods?: string[];
}

/** Metadata for the server behind an OpenAPI `oauth2` security scheme's `flows`. */
export function authorizationServerFromFlows(flows: OpenApiOAuthFlows, options: FlowsOptions = {}): AuthorizationServer {
  const resolve = (value: string | undefined, what: string): string | undefined => {
    if (value === undefined) return undefined;
    try {
      return new URL(value, options.baseUrl).href;
    } catch {
      throw errors.OAUTH_APP([`The OAuth ${what} "${value}" is relative and no base URL is known to resolve it`]);
    }
  };
  const used = HUB_FLOWS.filter((name) => flows[name] && (!options.flow || options.flow === name));
  if (used.length === 0) {
    throw errors.OAUTH_APP([
      options.flow
        ? `The OAuth security scheme has no ${options.flow} flow`
        : 'The OAuth security scheme has none of the flows the hub runs (authorizationCode, clientCredentials, deviceAuthorization)',
    ]);
  }
  const pick = (field: keyof OpenApiOAuthFlow, what: string): string | undefined => {
    const values = new Map<string, HubFlow>();
    for (const name of used) {
      const value = resolve(flows[name]?.[field] as string | undefined, what);
      if (value && !values.has(value)) values.set(value, name);
    }
    if (values.size > 1) {
      const listed = [...values].map(([url, name]) => `${name}: ${printable(new URL(url))}`).join(', ');
      throw errors.OAUTH_APP([`The OAuth flows name different ${what}s (${listed}); choose one flow`]);
    }
    return values.keys().next().value;
  };
  const tokenUrl = pick('tokenUrl', 'token URL');
  if (!tokenUrl) throw errors.OAUTH_APP([`The OAuth ${used.join('/')} flow has no tokenUrl`]);
  return authorizationServerFromEndpoints({
    issuer: options.issuer,
    tokenUrl,
    authorizationUrl: pick('authorizationUrl', 'authorization URL'),
    refreshUrl: pick('refreshUrl', 'refresh URL'),
    deviceAuthorizationUrl: resolve(options.deviceAuthorizationUrl, 'device authorization URL') ?? pick('deviceAuthorizationUrl', 'device authorization URL'),
    revocationUrl: resolve(options.revocationUrl, 'revocation URL'),
    tokenEndpointAuthMethods: options.tokenEndpointAuthMethods,
  });
}
