/**
 * The admin side's face: the use-cases the CLI verbs share with the REST API, the API's
 * router, the OAuth callback and connect link. Every `lunar-hub` command imports the CLI verbs and so
 * this file: express, passport and the routers load only when `serve` builds the API.
 */
import type express from 'express';
import type { Logger } from 'pino';
import type { HubServices } from '../gateway/services';
import type { AdminApiOptions } from './admin-api';
import type { RequestStateKeyring } from '../gateway/mcp/request-state';

export { AdminOperations, CLI_ACTOR, type Actor, type ConnectionView, type ConnectorCatalogue, type OAuthAppView } from './admin-operations';
export type { AdminApiOptions } from './admin-api';

export function adminApi(options: AdminApiOptions): express.Router {
  return (require('./admin-api') as typeof import('./admin-api')).adminApi(options);
}

export function oauthCallback(options: { services: HubServices; log: Logger }): express.RequestHandler {
  return (require('./oauth-callback') as typeof import('./oauth-callback')).oauthCallback(options);
}

/** `/oauth/connect`: where a 2026-07-28 client's connect link (a URL elicitation) leads. */
export function oauthConnect(options: { services: HubServices; log: Logger; keyring: RequestStateKeyring }): express.RequestHandler {
  return (require('./oauth-connect') as typeof import('./oauth-connect')).oauthConnect(options);
}
