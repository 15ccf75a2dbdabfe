/**
 * Keeps credentials out of what the hub shows an agent. Upstreams echo requests back
 * in their error bodies (a 400 that quotes the query string, a proxy page that prints
 * the request headers), and those requests carry the tenant's secrets: everything
 * taken from an upstream's error body passes through here before it reaches a result
 * (Octokit `request-error.js` does the same for its error messages).
 *
 * Over-redaction is the cheap mistake here, so the text rules lean wide.
 */

export const REDACTED = '[REDACTED]';

/**
 * Field and header names whose values are secrets, compared lower-cased with `-` as `_`.
 * Exact names only: `page_token` or `next_token` are cursors, not credentials.
 */
const SECRET_FIELDS = new Set([
  'authorization',
  'proxy_authorization',
  'cookie',
  'set_cookie',
  'x_api_key',
  'api_key',
  'apikey',
  'x_auth_token',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'password',
  'private_key',
  'x_amz_security_token',
  'x_amz_signature',
]);

/** Query parameters only: as JSON fields these names are ordinary data (a Jira issue `key`). */
const SECRET_QUERY_ONLY = ['key', 'sig', 'signature'];

/** Headers that carry credentials or sessions: never logged, and never kept by the cache. */
export const SECRET_HEADER_NAMES: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token'];

function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name.toLowerCase().replace(/-/g, '_'));
}

/** `name` written with `_` or `-` between its words, for the text patterns. */
function namePattern(name: string): string {
  return name.replace(/[_-]/g, '[_-]');
}

const fieldNames = [...SECRET_FIELDS].map(namePattern).join('|');
const queryNames = [...[...SECRET_FIELDS].map(namePattern), ...SECRET_QUERY_ONLY].join('|');

const TEXT_RULES: Array<[RegExp, string]> = [
  // "access_token": "…" in JSON that did not parse (or was cut).
  [new RegExp(`("(?:${fieldNames})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"?`, 'gi'), `$1"${REDACTED}"`],
  // Header lines echoed back: the whole rest of the line (a cookie has several parts).
  [new RegExp(`(^|[^\\w-])(${SECRET_HEADER_NAMES.map(namePattern).join('|')})(\\s*:\\s*)(?!"|\\[REDACTED\\])[^\\r\\n"'<>]+`, 'gim'), `$1$2$3${REDACTED}`],
  // Query strings and form bodies: ?access_token=…&
  [new RegExp(`(^|[^\\w-])(${queryNames})=(?!\\[REDACTED\\])[^&\\s"'<>#]+`, 'gi'), `$1$2=${REDACTED}`],
  // A bearer token quoted without its header name; tokens have digits or punctuation, prose does not.
  [/\b(Bearer\s+)(?=[A-Za-z]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{6,}=*/gi, `$1${REDACTED}`],
  // Basic credentials are base64 (digits, +/=, or a lower-upper hump as in dXNl): a plain
  // word after "Basic" ("Basic authentication failed") is left alone.
  [/\b(Basic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9+/]{8,}={0,2}/g, `$1${REDACTED}`],
  // URL userinfo: https://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${REDACTED}@`],
];

/** Secrets in free text (an error message, an HTML page, a Location header) replaced by `[REDACTED]`. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_RULES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of `value` with secrets removed: secret-named fields (any depth) become
 * `[REDACTED]`, every string goes through `redactText`. Other values are returned as is.
 */
export function redact<T>(value: T): T {
  return redactAny(value, 0) as T;
}

function redactAny(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  // Error bodies are small; the bound only guards against pathological nesting.
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactAny(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretField(key) && item !== null && item !== '' ? REDACTED : redactAny(item, depth + 1);
  }
  return out;
}

/**
 * The connector's own static header values, wherever an upstream echoes them (a 400
 * that prints "invalid key AIza..."): names cannot catch a key sent under a header the
 * list above does not know. Values under 8 characters (a version, "1") are not secrets.
 */
export function redactValues(text: string, values: Iterable<string>): string {
  let out = text;
  for (const value of values) if (value.length >= 8) out = out.split(value).join(REDACTED);
  return out;
}
