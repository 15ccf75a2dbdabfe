/**
 * oauth4webapi failures → the hub's coded errors, at one boundary.
 *
 * - A failed exchange with the authorisation server (an OAuth error body, a
 *   WWW-Authenticate challenge, a non-conforming answer, a network failure or timeout)
 *   becomes HUB_ERR_OAUTH_EXCHANGE: "The authorisation server at <issuer> refused the
 *   <exchange>: <error>: <description>".
 * - A callback the hub must not accept (wrong or missing state, `error=` from the server,
 *   no code) becomes HUB_ERR_OAUTH_CALLBACK.
 *
 * The oauth4webapi error stays as `cause` for debugging. Messages are built from the
 * server's `error`/`error_description` and oauth4webapi's fixed texts, never from request
 * values; on top of that every secret the caller hands in (client secret, tokens, codes,
 * code verifier) is cut out of the message, in case a server echoes one back.
 *
 * Errors are recognised by their `code`, never by `instanceof` (module copies under jest).
 */
import { errors, isHubError, type HubError } from '../../errors';
import { OAUTH_REQUEST_TIMEOUT_MS } from './transport';

/** The exchanges named in HUB_ERR_OAUTH_EXCHANGE messages. */
export type Exchange =
  'authorization code' | 'refresh token' | 'client credentials' | 'device authorization' | 'device code' | 'token revocation' | 'metadata request';

const REDACTED = '[redacted]';

interface CodedError {
  code?: unknown;
  message?: unknown;
  name?: unknown;
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  cause?: unknown;
}

const asCoded = (error: unknown): CodedError => (typeof error === 'object' && error !== null ? (error as CodedError) : {});

/** `text` with every given secret replaced; short values (< 4 chars) are not secrets worth a scan. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

const oauthError = (error: unknown, description: unknown): string =>
  typeof description === 'string' && description ? `${String(error)}: ${description}` : String(error);

/** One line saying what went wrong, from the server's words where it gave any. */
export function reasonOf(error: unknown): string {
  const e = asCoded(error);
  switch (e.code) {
    case 'OAUTH_RESPONSE_BODY_ERROR': // ResponseBodyError: an OAuth error JSON body
      return `${oauthError(e.error, e.error_description)} (HTTP ${String(e.status)})`;
    case 'OAUTH_WWW_AUTHENTICATE_CHALLENGE': {
      // WWWAuthenticateChallengeError: a 401 with a challenge, e.g. a rejected client secret
      const challenges = Array.isArray(e.cause) ? (e.cause as Array<{ scheme?: string; parameters?: Record<string, string | undefined> }>) : [];
      const withError = challenges.find((c) => c.parameters?.error) ?? challenges[0];
      const status = e.status === undefined ? '' : ` (HTTP ${String(e.status)})`;
      if (withError?.parameters?.error) return `${oauthError(withError.parameters.error, withError.parameters.error_description)}${status}`;
      return `authentication challenge "${withError?.scheme ?? 'unknown'}"${status}`;
    }
    case 'OAUTH_AUTHORIZATION_RESPONSE_ERROR': // AuthorizationResponseError: error= in the callback
      return oauthError(e.error, e.error_description);
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
      const status = asCoded(e.cause).status;
      return `${String(e.message)}${typeof status === 'number' ? ` (HTTP ${status})` : ''}`;
    }
  }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${OAUTH_REQUEST_TIMEOUT_MS / 1000} s`;
  if (e.name === 'TypeError' && e.message === 'fetch failed') {
    // undici's network failure: the reason is in the cause (ECONNREFUSED, ENOTFOUND...)
    const cause = asCoded(e.cause);
    const detail = typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message : 'network error';
    return `cannot reach it: ${detail}`;
  }
  // OperationProcessingError, UnsupportedOperationError and the rest: oauth4webapi's fixed texts
  return typeof e.message === 'string' && e.message ? e.message : String(error);
}

/** Tokens a failing answer may still carry (e.g. a check failed after the server issued them). */
function tokensIn(error: unknown): string[] {
  const body = asCoded(asCoded(error).cause) as { body?: unknown };
  if (typeof body.body !== 'object' || body.body === null) return [];
  const fields = body.body as Record<string, unknown>;
  return ['access_token', 'refresh_token', 'id_token', 'device_code'].map((k) => fields[k]).filter((v): v is string => typeof v === 'string');
}

/**
 * HUB_ERR_OAUTH_EXCHANGE for a failed `exchange` with `issuer`; HubErrors pass through
 * unchanged. `secrets`: what the request carried (client secret, code, verifier, tokens).
 */
export function exchangeError(issuer: string, exchange: Exchange, error: unknown, secrets: ReadonlyArray<string | undefined>): HubError {
  if (isHubError(error)) return error;
  const reason = redact(reasonOf(error), [...secrets, ...tokensIn(error)]);
  return errors.OAUTH_EXCHANGE([issuer, exchange, reason], { cause: error });
}

/** HUB_ERR_OAUTH_CALLBACK for a callback the hub refuses; HubErrors pass through unchanged. */
export function callbackError(error: unknown, secrets: ReadonlyArray<string | undefined>): HubError {
  if (isHubError(error)) return error;
  const e = asCoded(error);
  const reason =
    e.code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR'
      ? `the authorisation server answered ${reasonOf(error)}`
      : /"state"/.test(String(e.message))
        ? `${reasonOf(error)} (the callback does not belong to the authorisation the hub started)`
        : reasonOf(error);
  return errors.OAUTH_CALLBACK([redact(reason, secrets)], { cause: error });
}
