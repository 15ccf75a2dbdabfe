/**
 * `/oauth/connect?ticket=...`: where the link of a URL elicitation leads (a 2026-07-28
 * `tools/call` that needed an OAuth connection the caller does not have yet,
 * gateway/mcp/input-required.ts). The ticket names the tenant, user and connector; opening
 * it starts the authorisation as `POST /api/connections/oauth` does and redirects the
 * browser to the authorisation server, which sends it back to /oauth/callback. Not behind
 * the admin session: the signed, short-lived ticket is what authorises it.
 */
import type express from 'express';
import type { Logger } from 'pino';
import { errors, toHubError } from '../errors';
import type { HubServices } from '../gateway/services';
import { readConnectTicket } from '../gateway/mcp/connect-link';
import type { RequestStateKeyring } from '../gateway/mcp/request-state';
import { AdminOperations } from './admin-operations';
import { escapeHtml, page } from './oauth-callback';

export function oauthConnect(options: { services: HubServices; log: Logger; keyring: RequestStateKeyring }): express.RequestHandler {
  const operations = new AdminOperations(options.services.store, options.services.box, options.services.oauth);
  return (req, res) => {
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : undefined;
    const started = (async () => {
      if (!ticket) throw errors.OAUTH_CALLBACK(['the link has no ticket; ask the agent to call the tool again for a new one']);
      const who = await readConnectTicket(options.keyring, ticket);
      const connection = await options.services.oauth.start(who);
      await operations
        .audit({ kind: 'system', id: 'oauth-connect', tenantId: who.tenantId }, who.tenantId, 'connection.authorize', {
          connectorId: who.connectorId,
          connectionId: connection.connectionId,
          detail: `authorization URL issued from a connect link${who.userId ? ` for user ${who.userId}` : ''}`,
        })
        .catch((error: Error) => options.log.error({ err: error.message }, 'audit entry not written'));
      return connection.authorizationUrl;
    })();
    started.then(
      (url) => res.redirect(302, url),
      (error: unknown) => {
        const hubError = toHubError(error);
        if (hubError.code === 'HUB_ERR_INTERNAL') options.log.error({ err: hubError.message }, 'OAuth connect link failed');
        else options.log.warn({ code: hubError.code, err: hubError.message }, 'OAuth connect link refused');
        const message = hubError.code === 'HUB_ERR_INTERNAL' ? 'Internal error' : hubError.message;
        res
          .status(hubError.httpStatus)
          .type('html')
          .send(page('Not connected', `${escapeHtml(hubError.code)}: ${escapeHtml(message)}`));
      },
    );
  };
}
