/**
 * What a connection's sealed secret holds, by kind. Sealed as JSON by SecretBox; the
 * store never sees these.
 */
import { errors } from '../../errors';
import type { ConnectionKind } from '../../store';

export interface OAuthTokens {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** ISO time the access token expires, when the server said. */
  expiresAt?: string;
  /** ISO time the hub got the token (refresh-ahead is at most half its lifetime). */
  obtainedAt?: string;
  scope?: string;
  /** How a new access token is got: a refresh token (default) or the client-credentials grant again. */
  grant?: 'refresh_token' | 'client_credentials';
  /** Set while one hub process renews the tokens (ISO time the claim lapses); others wait for it. */
  renewingUntil?: string;
}

export type CredentialPayload =
  | { kind: 'api_key'; apiKey: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | ({ kind: 'oauth2' } & OAuthTokens);

// Anything that would split a header or a cookie never leaves the hub.
const UNSAFE = /[\r\n\0]/;

/** Checks a payload given by an admin (API or CLI); every problem named, no value echoed. */
export function checkPayload(kind: ConnectionKind, input: Record<string, unknown>): CredentialPayload {
  const problems: string[] = [];
  const text = (field: string, optional = false): string => {
    const value = input[field];
    if (value === undefined && optional) return '';
    if (typeof value !== 'string' || value === '') problems.push(`${field} must be a non-empty string`);
    else if (UNSAFE.test(value)) problems.push(`${field} must not contain line breaks or NUL`);
    return typeof value === 'string' ? value : '';
  };
  let payload: CredentialPayload;
  switch (kind) {
    case 'api_key':
      payload = { kind, apiKey: text('apiKey') };
      break;
    case 'basic':
      payload = { kind, username: text('username'), password: text('password') };
      if (payload.username.includes(':')) problems.push('username must not contain ":" (HTTP basic joins user and password with it)');
      break;
    case 'bearer':
      payload = { kind, token: text('token') };
      break;
    case 'oauth2':
      payload = { kind: 'oauth2', accessToken: text('accessToken'), tokenType: 'Bearer' };
      break;
    default:
      throw errors.API_BAD_REQUEST([`kind must be one of api_key, basic, bearer, oauth2 (got ${JSON.stringify(String(kind)).slice(0, 40)})`]);
  }
  if (problems.length > 0) throw errors.API_BAD_REQUEST([`invalid ${kind} credential: ${problems.join('; ')}`]);
  return payload;
}
