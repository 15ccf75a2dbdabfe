/**
 * The device authorization grant (RFC 8628): for a user who approves on another screen.
 *
 * startDeviceAuthorization asks for a device code and the user code to show; the caller then
 * calls pollDeviceAuthorization no more often than every `intervalSeconds` (adding 5 s on
 * each `slow_down`, §3.5) until it answers `done`, or fails: HUB_ERR_OAUTH_EXCHANGE with
 * `expired_token` (the code ran out) or `access_denied` (the user refused).
 */
import { errors } from '../../errors';
import type { OAuthClient } from './client';
import { withClient } from './client-exchange';
import { oauth, type AuthorizationServer } from './oauth4webapi';
import { systemClock, toTokenSet, type Clock, type TokenSet } from './token-set';

/** RFC 8628 §3.2: the polling interval when the server gives none (seconds). */
export const DEFAULT_DEVICE_INTERVAL_SECONDS = 5;

export interface StartDeviceInput {
  as: AuthorizationServer;
  client: OAuthClient;
  scopes: readonly string[];
  extraParams?: Record<string, string>;
  now?: Clock;
}

export interface DeviceAuthorization {
  /** Secret: only the poller needs it. */
  deviceCode: string;
  /** What the user types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  /** The same page with the code filled in (for a link or QR code). */
  verificationUriComplete?: string;
  /** ISO-8601 UTC. */
  expiresAt: string;
  intervalSeconds: number;
}

export async function startDeviceAuthorization(input: StartDeviceInput): Promise<DeviceAuthorization> {
  const { as, client } = input;
  if (!as.device_authorization_endpoint) {
    throw errors.OAUTH_APP([`The authorisation server at ${as.issuer} has no device authorization endpoint`]);
  }
  const params = new URLSearchParams(input.extraParams);
  if (input.scopes.length) params.set('scope', input.scopes.join(' '));
  return withClient({ as, client, exchange: 'device authorization', secrets: [client.clientSecret] }, async ({ metadata, auth, options }) => {
    const response = await oauth.deviceAuthorizationRequest(as, metadata, auth, params, options);
    const result = await oauth.processDeviceAuthorizationResponse(as, metadata, response);
    const now = (input.now ?? systemClock)();
    const started: DeviceAuthorization = {
      deviceCode: result.device_code,
      userCode: result.user_code,
      verificationUri: result.verification_uri,
      expiresAt: new Date(now.getTime() + result.expires_in * 1000).toISOString(),
      intervalSeconds: result.interval ?? DEFAULT_DEVICE_INTERVAL_SECONDS,
    };
    if (result.verification_uri_complete) started.verificationUriComplete = result.verification_uri_complete;
    return started;
  });
}

export interface PollDeviceInput {
  as: AuthorizationServer;
  client: OAuthClient;
  deviceCode: string;
  /** The scopes asked for: the token set's `scope` when the server does not say. */
  scopes?: readonly string[];
  now?: Clock;
}

export type DevicePoll = { status: 'pending' } | { status: 'slow_down' } | { status: 'done'; tokens: TokenSet };

export async function pollDeviceAuthorization(input: PollDeviceInput): Promise<DevicePoll> {
  const { as, client } = input;
  const recover = (error: unknown): DevicePoll | undefined => {
    const e = error as { code?: unknown; error?: unknown };
    if (e.code === 'OAUTH_RESPONSE_BODY_ERROR' && e.error === 'authorization_pending') return { status: 'pending' };
    if (e.code === 'OAUTH_RESPONSE_BODY_ERROR' && e.error === 'slow_down') return { status: 'slow_down' };
    return undefined;
  };
  return withClient<DevicePoll>(
    { as, client, exchange: 'device code', secrets: [input.deviceCode, client.clientSecret], recover },
    async ({ metadata, auth, options }) => {
      const response = await oauth.deviceCodeGrantRequest(as, metadata, auth, input.deviceCode, options);
      const result = await oauth.processDeviceCodeResponse(as, metadata, response);
      return { status: 'done', tokens: toTokenSet(result, { now: input.now, requestedScopes: input.scopes }) };
    },
  );
}
