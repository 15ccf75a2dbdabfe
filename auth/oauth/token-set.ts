/**
 * The tokens one exchange produced, as plain values the rest of the hub can seal and store.
 */
import { oauth, type TokenEndpointResponse } from './oauth4webapi';

export interface TokenSet {
  accessToken: string;
  /** As the upstream expects it in `Authorization: <tokenType> <accessToken>`: "Bearer", "DPoP" or the server's word. */
  tokenType: string;
  refreshToken?: string;
  /** ISO-8601 UTC; absent when the server did not say (no `expires_in`). */
  expiresAt?: string;
  /** Space-separated, as granted (or as requested when the server omitted it, RFC 6749 §5.1). */
  scope?: string;
  /** The validated ID Token's claims, when the server sent one (OpenID Connect). */
  idTokenClaims?: Record<string, unknown>;
}

/** The clock; tests inject their own. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

/** oauth4webapi lower-cases `token_type`; the scheme goes back into a header, so give it its usual spelling. */
const TOKEN_TYPES: Record<string, string> = { bearer: 'Bearer', dpop: 'DPoP' };

export interface ToTokenSetOptions {
  now?: Clock;
  /** Scopes asked for, used as `scope` when the server's answer has none. */
  requestedScopes?: readonly string[];
  /** Kept when the server does not rotate (its answer carries no new refresh token). */
  previousRefreshToken?: string;
}

export function toTokenSet(response: TokenEndpointResponse, options: ToTokenSetOptions = {}): TokenSet {
  const now = options.now ?? systemClock;
  const tokens: TokenSet = {
    accessToken: response.access_token,
    tokenType: TOKEN_TYPES[response.token_type] ?? response.token_type,
  };
  const refreshToken = response.refresh_token ?? options.previousRefreshToken;
  if (refreshToken) tokens.refreshToken = refreshToken;
  if (typeof response.expires_in === 'number' && Number.isFinite(response.expires_in)) {
    tokens.expiresAt = new Date(now().getTime() + response.expires_in * 1000).toISOString();
  }
  const scope = response.scope ?? (options.requestedScopes?.length ? options.requestedScopes.join(' ') : undefined);
  if (scope) tokens.scope = scope;
  const claims = oauth.getValidatedIdTokenClaims(response);
  if (claims) tokens.idTokenClaims = { ...claims };
  return tokens;
}
