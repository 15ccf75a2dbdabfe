/**
 * Which authorisation-server URLs the hub will talk to, and the options every oauth4webapi
 * call gets.
 *
 * https:// always. http:// only when the host is a loopback address (127.0.0.1, ::1,
 * localhost): a server on the same machine (a test server, a local development IdP), where
 * no network sits between the hub and it. Only then does a call get
 * `[oauth.allowInsecureRequests]: true`; any other http:// URL is refused with
 * HUB_ERR_OAUTH_APP naming it, before any request is made. docs/oauth.md explains why.
 */
import { errors } from '../../errors';
import { oauth, type AuthorizationServer } from './oauth4webapi';

/** Hosts for which http:// is accepted. `URL#hostname` keeps the brackets of an IPv6 literal. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** How long one request to the authorisation server may take (ms). */
export const OAUTH_REQUEST_TIMEOUT_MS = 30_000;

/** Metadata fields that hold a URL the hub may call or send a user to. */
const ENDPOINT_FIELDS = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'pushed_authorization_request_endpoint',
  'hub_refresh_endpoint',
] as const;

/** A URL as it may appear in an error message: no userinfo, no query, no fragment. */
export function printable(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Parses and checks one endpoint URL; `what` names it in the error ("token URL").
 * Returns whether the URL needs `allowInsecureRequests` (http:// on loopback).
 */
export function checkEndpoint(value: string, what: string): { url: URL; insecure: boolean } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw errors.OAUTH_APP([`The OAuth ${what} "${value.replace(/\/\/[^/@]*@/, '//')}" is not an absolute URL`]);
  }
  if (url.username || url.password) {
    throw errors.OAUTH_APP([`The OAuth ${what} ${printable(url)} carries credentials in the URL; give them as the client id and secret instead`]);
  }
  if (url.protocol === 'https:') return { url, insecure: false };
  if (url.protocol === 'http:') {
    if (LOOPBACK_HOSTS.has(url.hostname)) return { url, insecure: true };
    throw errors.OAUTH_APP([
      `The OAuth ${what} ${printable(url)} uses http:// on a host that is not a loopback address; ` +
        'the hub accepts http:// only for 127.0.0.1, ::1 and localhost, and https:// everywhere else',
    ]);
  }
  throw errors.OAUTH_APP([`The OAuth ${what} ${printable(url)} must use https://`]);
}

/** Checks every URL in an authorisation server's metadata; true when one of them is loopback http://. */
export function checkAuthorizationServer(as: AuthorizationServer): boolean {
  let insecure = false;
  for (const field of ENDPOINT_FIELDS) {
    const value = as[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw errors.OAUTH_APP([`The authorisation server's "${field}" is not a URL`]);
    insecure = checkEndpoint(value, field === 'issuer' ? 'issuer' : `"${field}"`).insecure || insecure;
  }
  return insecure;
}

export interface RequestOptions {
  signal: () => AbortSignal;
  [oauth.allowInsecureRequests]?: boolean;
}

/**
 * The options for every oauth4webapi call against `as`: a timeout, and the permission for
 * http:// when (and only when) the server is on a loopback address.
 */
export function requestOptions(as: AuthorizationServer): RequestOptions {
  const options: RequestOptions = { signal: () => AbortSignal.timeout(OAUTH_REQUEST_TIMEOUT_MS) };
  if (checkAuthorizationServer(as)) options[oauth.allowInsecureRequests] = true;
  return options;
}
