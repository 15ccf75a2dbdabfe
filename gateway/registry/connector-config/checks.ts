/** The connector file's checks beyond its schema: base URL, hosts, headers, auth and selections. */
import path from 'node:path';
import { redactText } from '../../../errors';
import { isValidConnectorId } from '../../../generators';
import { checkAuth } from './auth-section';
import { HEADER_NAME, HOST_ENTRY } from './limits';
import { keyPath, shown } from './messages';
import type { Reasons } from './problems';

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
// Framing and hop-by-hop headers belong to the HTTP client; a static value would corrupt requests.
const HUB_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
]);

/**
 * Checks a schema cannot say well. They run on every document, also one with schema
 * errors (so one pass lists everything), and skip any value of the wrong shape.
 */
export function checkValues(raw: unknown, reasons: Reasons): void {
  if (!isRecord(raw)) return;
  if (typeof raw.id === 'string' && !isValidConnectorId(raw.id)) {
    reasons.add(['id'], `must be 1-24 characters of a-z, 0-9 and "-", starting and ending with a letter or digit (got ${shown(raw.id)})`);
  }
  // A folder name of connectors/: never a path that leaves it.
  if (typeof raw.use === 'string' && !isValidConnectorId(raw.use)) {
    reasons.add(['use'], `must be a built-in connector id, 1-24 characters of a-z, 0-9 and "-" (got ${shown(raw.use)})`);
  }
  const variables = isRecord(raw.serverVariables) ? raw.serverVariables : {};
  if (typeof raw.baseUrl === 'string') {
    const problem = baseUrlProblem(raw.baseUrl);
    if (problem) reasons.add(['baseUrl'], problem);
    if (Object.keys(variables).length > 0) {
      reasons.add(['serverVariables'], "has no effect when baseUrl is set (baseUrl replaces the spec's servers); remove one of them");
    }
  }
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string' && /[\s{}?#]/.test(value)) {
      reasons.add(['serverVariables', name], `must not contain whitespace, "{", "}", "?" or "#" (got ${shown(value)})`);
    }
  }
  if (Array.isArray(raw.allowedHosts)) {
    raw.allowedHosts.forEach((entry: unknown, i) => {
      const problem = typeof entry === 'string' ? hostEntryProblem(entry) : undefined;
      if (problem) reasons.add(['allowedHosts', i], `${problem} (got ${shown(entry)})`);
    });
  }
  // With `use`, a user's file may point a built-in at any spec (the full one it was extracted from).
  if (typeof raw.spec === 'string' && raw.use === undefined && (path.isAbsolute(raw.spec) || raw.spec.split(/[\\/]/).includes('..'))) {
    reasons.add(['spec'], `must name a file inside the connector's folder, relative to it (got ${shown(raw.spec)})`);
  }
  if (isRecord(raw.headers)) checkHeaders(raw.headers, reasons);
  if (isRecord(raw.auth)) checkAuth(raw.auth, reasons);
  for (const section of ['operations', 'tags'] as const) {
    const selection = raw[section];
    if (!isRecord(selection) || !Array.isArray(selection.include) || !Array.isArray(selection.exclude)) continue;
    const include = new Set<unknown>(selection.include);
    selection.exclude.forEach((entry: unknown, i) => {
      if (typeof entry === 'string' && include.has(entry))
        reasons.add([section, 'exclude', i], `${shown(entry)} is also in ${section}.include; keep it in one list`);
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute http(s) URL such as https://api.example.com (got ${shown(redactText(value))})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${shown(`${url.protocol}//${url.host}`)})`;
  if (url.username !== '' || url.password !== '')
    return 'must not carry a user name or password; the `auth` section says how the API authenticates, and connections hold the secrets';
  // A query is where keys hide: it is named, never shown (this message reaches logs and /healthz).
  if (url.search !== '' || url.hash !== '')
    return `must not have a query or fragment: operation paths are appended to it (got ${shown(`${url.origin}${url.pathname}`)} with a query or fragment)`;
  let path: string;
  try {
    path = decodeURI(url.pathname);
  } catch {
    return `has malformed percent-encoding in its path (got ${shown(`${url.origin}${url.pathname}`)})`;
  }
  if (/[{}]/.test(path)) return `is used as written: it has no server variables (got ${shown(value)})`;
  return undefined;
}

function hostEntryProblem(entry: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return 'must be a host or host:port, not a URL';
  if (entry.includes('*')) return 'wildcards are not supported; list each host';
  const match = HOST_ENTRY.exec(entry.toLowerCase());
  if (!match) return 'must be a host name, IPv4 address or [IPv6] address, optionally with :port';
  if (match[1] !== undefined && (Number(match[1]) < 1 || Number(match[1]) > 65535)) return 'port must be from 1 to 65535';
  return undefined;
}

function checkHeaders(headers: Record<string, unknown>, reasons: Reasons): void {
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const at = ['headers', name];
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) reasons.add(at, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
    else if (CREDENTIAL_HEADERS.has(lower))
      reasons.add(
        at,
        "credentials do not belong in static headers (they would reach every tenant); the connector file's `auth` section says how the API authenticates, and connections hold the secrets",
      );
    else if (HUB_HEADERS.has(lower)) reasons.add(at, 'is set by the hub for each request and cannot be fixed here');
    if (typeof value === 'string' && /[\r\n\0]/.test(value)) reasons.add(at, 'must not contain line breaks (CR/LF) or NUL characters');
    // A header carries Latin-1 only; anything else would fail every call of the connector.
    else if (typeof value === 'string' && /[^\t\x20-\x7e\x80-\xff]/.test(value))
      reasons.add(at, 'must be Latin-1 text (HTTP header values cannot carry other characters or controls)');
    const earlier = seen.get(lower);
    if (earlier !== undefined) reasons.add(at, `repeats ${keyPath(['headers', earlier])} (header names ignore case)`);
    seen.set(lower, name);
  }
}
