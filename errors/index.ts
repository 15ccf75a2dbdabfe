/**
 * Coded errors, declared in one table (the fastify `lib/errors.js` pattern).
 * Match errors by `code`, never by `instanceof`: module copies under jest or in
 * plugins break class identity. A retired code is never reused.
 */

export interface HubErrorOptions {
  cause?: unknown;
  /** Extra machine-readable detail (file, pointer, field...). Never secrets. */
  details?: Record<string, unknown>;
}

export class HubError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, httpStatus: number, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.details = options.details ?? {};
  }
}

type Formatter = (...args: string[]) => string;

export interface ErrorFactory {
  (args: string[], options?: HubErrorOptions): HubError;
  readonly code: string;
}

function createError(code: string, template: string, httpStatus: number): ErrorFactory {
  const format: Formatter = (...args) => {
    let i = 0;
    return template.replace(/%s/g, () => (i < args.length ? args[i++] : '%s'));
  };
  const factory = (args: string[], options?: HubErrorOptions) => new HubError(code, format(...args), httpStatus, options);
  return Object.assign(factory, { code });
}

/** Every error code the hub can raise. docs/errors.md documents each one (a test checks). */
export const errors = {
  SPEC_UNREADABLE: createError('HUB_ERR_SPEC_UNREADABLE', 'Cannot read spec %s: %s', 400),
  SPEC_PARSE: createError('HUB_ERR_SPEC_PARSE', 'Spec %s is not valid %s: %s', 400),
  SPEC_NOT_OPENAPI: createError('HUB_ERR_SPEC_NOT_OPENAPI', 'Spec %s is not an OpenAPI or Swagger document: %s', 400),
  SPEC_NOT_FOUND: createError('HUB_ERR_SPEC_NOT_FOUND', 'No OpenAPI spec found at %s: %s', 404),
  SPEC_EXISTS: createError('HUB_ERR_SPEC_EXISTS', '%s already exists: %s', 409),
  SPEC_VERSION: createError('HUB_ERR_SPEC_VERSION', 'Spec %s declares unsupported version %s (supported: Swagger 2.0, OpenAPI 3.0 and 3.1)', 400),
  SPEC_CONVERT: createError('HUB_ERR_SPEC_CONVERT', 'Spec %s could not be converted from Swagger 2.0 to OpenAPI 3: %s', 400),
  CONFIG_USAGE: createError('HUB_ERR_CONFIG_USAGE', '%s', 400),
  CONFIG_SETTINGS: createError('HUB_ERR_CONFIG_SETTINGS', 'The settings are invalid (%s):\n  %s', 400),
  CONFIG_CONNECTOR_ID: createError('HUB_ERR_CONFIG_CONNECTOR_ID', 'Connector id "%s" is invalid: %s', 400),
  GEN_OUTPUT: createError('HUB_ERR_GEN_OUTPUT', 'Cannot write generated files to %s: %s', 500),
  GEN_TYPES: createError('HUB_ERR_GEN_TYPES', 'openapi-typescript could not generate types for %s: %s', 500),
  CONFIG_CONNECTOR: createError('HUB_ERR_CONFIG_CONNECTOR', 'Connector file %s is invalid: %s', 400),
  CALL_UNKNOWN_TOOL: createError('HUB_ERR_CALL_UNKNOWN_TOOL', 'Unknown tool "%s"', 404),
  CALL_ARGUMENTS: createError('HUB_ERR_CALL_ARGUMENTS', 'Invalid arguments for %s: %s', 400),
  CALL_PROJECTION: createError('HUB_ERR_CALL_PROJECTION', '%s: %s', 400),
  REQUEST_BUILD: createError('HUB_ERR_REQUEST_BUILD', 'Cannot build the request for %s: %s', 400),
  REQUEST_HOST: createError('HUB_ERR_REQUEST_HOST', "Request for %s would go to %s, which is not one of the connector's hosts", 403),
  UPSTREAM_TIMEOUT: createError('HUB_ERR_UPSTREAM_TIMEOUT', '%s: the upstream did not answer in time (%s)', 504),
  UPSTREAM_NETWORK: createError('HUB_ERR_UPSTREAM_NETWORK', '%s: cannot reach the upstream: %s', 502),
  UPSTREAM_STATUS: createError('HUB_ERR_UPSTREAM_STATUS', '%s: the upstream answered HTTP %s: %s', 502),
  UPSTREAM_SHAPE: createError('HUB_ERR_UPSTREAM_SHAPE', '%s: %s; the full answer is above, returned as an error so that clients accept it', 502),
  RATE_LIMITED: createError('HUB_ERR_RATE_LIMITED', '%s was not sent: %s. Try again in %s seconds (after %s).', 429),
  OVERLOADED: createError('HUB_ERR_OVERLOADED', 'The hub is too busy to take this request: %s. Try again in %s seconds.', 503),
  RATE_STORE: createError('HUB_ERR_RATE_STORE', '%s was not sent: the shared rate limiter (Redis at LUNAR_REDIS_URL) %s', 503),
  UPSTREAM_CIRCUIT_OPEN: createError(
    'HUB_ERR_UPSTREAM_CIRCUIT_OPEN',
    'The upstream %s is failing: its circuit opened at %s after %s consecutive failures (network errors or 5xx); calls to it fail fast until the hub tries it again %s',
    503,
  ),
  CACHE_CONFIG: createError('HUB_ERR_CACHE_CONFIG', 'The upstream cache cannot be set up: %s', 500),
  CACHE_UNAVAILABLE: createError(
    'HUB_ERR_CACHE_UNAVAILABLE',
    "The upstream cache's Redis (%s) cannot be used: %s; calls go to the upstream uncached meanwhile",
    503,
  ),
  CALL_CANCELLED: createError('HUB_ERR_CALL_CANCELLED', '%s was cancelled by the client', 499),
  STORE_UNAVAILABLE: createError('HUB_ERR_STORE_UNAVAILABLE', 'Cannot open the store (%s): %s', 503),
  STORE_MIGRATION: createError('HUB_ERR_STORE_MIGRATION', 'Store migration %s failed: %s', 500),
  STORE_CONFLICT: createError('HUB_ERR_STORE_CONFLICT', '%s changed while it was being updated; nothing was written, try again', 409),
  CRED_MASTER_KEY: createError('HUB_ERR_CRED_MASTER_KEY', 'The master key %s: %s', 500),
  CRED_DECRYPT: createError('HUB_ERR_CRED_DECRYPT', 'A stored secret cannot be decrypted (%s): %s', 500),
  CRED_MISSING: createError('HUB_ERR_CRED_MISSING', '%s', 403),
  CRED_NEEDS_REAUTH: createError('HUB_ERR_CRED_NEEDS_REAUTH', '%s', 401),
  CRED_SCHEME: createError('HUB_ERR_CRED_SCHEME', 'Connector %s: %s', 400),
  AUTH_UNAUTHENTICATED: createError('HUB_ERR_AUTH_UNAUTHENTICATED', '%s', 401),
  AUTH_FORBIDDEN: createError('HUB_ERR_AUTH_FORBIDDEN', '%s', 403),
  OAUTH_APP: createError('HUB_ERR_OAUTH_APP', '%s', 400),
  OAUTH_CALLBACK: createError('HUB_ERR_OAUTH_CALLBACK', 'The OAuth callback was refused: %s', 400),
  OAUTH_EXCHANGE: createError('HUB_ERR_OAUTH_EXCHANGE', 'The authorisation server at %s refused the %s: %s', 502),
  QUOTA_EXCEEDED: createError('HUB_ERR_QUOTA_EXCEEDED', '%s', 429),
  STATE_INVALID: createError('HUB_ERR_STATE_INVALID', 'The requestState was refused (%s): %s', 400),
  API_BAD_REQUEST: createError('HUB_ERR_API_BAD_REQUEST', '%s', 400),
  API_NOT_FOUND: createError('HUB_ERR_API_NOT_FOUND', '%s', 404),
  INTERNAL: createError('HUB_ERR_INTERNAL', 'Internal error: %s', 500),
} as const;

export type ErrorName = keyof typeof errors;

export function isHubError(value: unknown): value is HubError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (value as { code: string }).code.startsWith('HUB_ERR_')
  );
}

/** The one boundary where anything thrown becomes a HubError, keeping the cause. */
export function toHubError(value: unknown): HubError {
  if (isHubError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return errors.INTERNAL([message], { cause: value });
}

export { didYouMean, nearestNames } from './did-you-mean';
export { REDACTED, redact, redactText, redactValues, SECRET_HEADER_NAMES } from './redact';
export { redactUrl } from './redact-url';
export { ABORT_CODES, findErrorCode, isNetworkCode, NETWORK_ERROR_CODES, TIMEOUT_PHASES, type FoundCode } from './failure-codes';
export { tryAgainIn, type TryAgain } from './try-again';
