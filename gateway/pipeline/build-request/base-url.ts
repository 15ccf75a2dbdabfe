/**
 * Where a call may go: the connector's base URL, checked once (http or https, no
 * credentials in it), and the URL a call builds, which must stay under the base path and
 * the operation's literal prefix and go only to the connector's allowed hosts (no SSRF).
 */
import { errors } from '../../../errors';
import { buildError } from './build-errors';

export interface BasePlan {
  /** scheme://host[:port]/base-path, without a trailing slash. */
  prefix: string;
  path: string;
  query: string;
}

export function parseBaseUrl(baseUrl: string, tool: string): BasePlan {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch (cause) {
    throw errors.REQUEST_BUILD([tool, `the connector's base URL ${JSON.stringify(baseUrl)} is not an absolute URL`], { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.REQUEST_BUILD([tool, `the connector's base URL uses ${parsed.protocol}; only http and https are called`]);
  }
  // Credentials belong to the credentials stage; in a URL they end up in logs.
  if (parsed.username !== '' || parsed.password !== '') throw errors.REQUEST_BUILD([tool, "the connector's base URL carries credentials"]);
  const path = parsed.pathname.replace(/\/+$/, '');
  return { prefix: `${parsed.protocol}//${parsed.host}${path}`, path, query: parsed.search.slice(1) };
}

/** The request's URL from the expanded path and query, refused when it would leave the base path or the allowed hosts. */
export function targetUrl(tool: string, base: BasePlan, literalPrefix: string, path: string, query: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(query === '' ? base.prefix + path : `${base.prefix}${path}?${query}`);
  } catch (cause) {
    throw errors.REQUEST_BUILD([tool, 'the arguments do not make a valid URL'], { cause });
  }
  // Belt and braces: whatever the encoding let through, the request stays under
  // the connector's base path and the operation's own literal prefix.
  if (!url.pathname.startsWith(base.path + literalPrefix)) {
    throw buildError(tool, `the path arguments would move the request outside ${base.path}${literalPrefix}`);
  }
  if (!hostAllowed(url, allowedHosts)) throw errors.REQUEST_HOST([tool, url.host]);
  return url;
}

function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  if (allowed.includes(url.host)) return true;
  // The URL parser drops a default port; a list may still spell it out.
  return url.port === '' && allowed.includes(`${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`);
}
