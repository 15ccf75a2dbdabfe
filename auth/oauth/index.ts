/**
 * The hub's upstream OAuth 2 client. Plain values in, plain values out: this folder knows
 * nothing of MCP, the store or encryption (callers seal what they keep). Every exchange goes
 * through oauth4webapi. docs/oauth.md describes what is supported.
 */
export {
  authorizationServerFromEndpoints,
  authorizationServerFromFlows,
  discoverAuthorizationServer,
  type DiscoveryOptions,
  type ExplicitEndpoints,
  type FlowsOptions,
  type HubFlow,
  type OpenApiOAuthFlow,
  type OpenApiOAuthFlows,
} from './authorization-server';
export {
  finishAuthorization,
  startAuthorization,
  type FinishAuthorizationInput,
  type StartAuthorizationInput,
  type StartedAuthorization,
} from './authorization-code';
export { chooseAuthMethod, type ClientAuthMethod, type OAuthClient } from './client';
export { clientCredentialsToken, type ClientCredentialsInput } from './client-credentials';
export {
  pollDeviceAuthorization,
  startDeviceAuthorization,
  type DeviceAuthorization,
  type DevicePoll,
  type PollDeviceInput,
  type StartDeviceInput,
} from './device-authorization';
export { type Exchange } from './oauth-errors';
export type { AuthorizationServer } from './oauth4webapi';
export { refreshTokens, type RefreshInput } from './refresh';
export { revokeToken, type RevokeInput } from './revocation';
export { toTokenSet, type Clock, type TokenSet } from './token-set';
