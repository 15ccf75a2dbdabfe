/**
 * `/oauth/callback`: where the authorisation server sends the admin's browser back. Not
 * behind the admin session (the browser carries none): the state, usable once and for
 * ten minutes, is what ties the callback to the authorisation an admin started.
 */
import type express from 'express';
import type { Logger } from 'pino';
import { errors, toHubError } from '../errors';
import type { HubServices } from '../gateway/services';
import { AdminOperations } from './admin-operations';

export function oauthCallback(options: { services: HubServices; log: Logger }): express.RequestHandler {
  const operations = new AdminOperations(options.services.store, options.services.box, options.services.oauth);
  return (req, res) => {
    const url = new URL(req.originalUrl, 'http://hub.invalid');
    const failure = url.searchParams.get('error');
    const finished = failure
      ? Promise.reject(
          errors.OAUTH_CALLBACK([
            `the authorisation server answered ${failure}${url.searchParams.get('error_description') ? `: ${url.searchParams.get('error_description')}` : ''}`,
          ]),
        )
      : options.services.oauth.finish(url);
    finished.then(
      async (connection) => {
        // The connection works whatever happens to its audit entry: the page says so either way.
        await operations
          .audit({ kind: 'system', id: 'oauth-callback', tenantId: connection.tenantId }, connection.tenantId, 'connection.activate', {
            connectorId: connection.connectorId,
            connectionId: connection.id,
          })
          .catch((error: Error) => options.log.error({ err: error.message, connection: connection.id }, 'audit entry not written'));
        res
          .status(200)
          .type('html')
          .send(page('Connected', `The ${escapeHtml(connection.connectorId)} connection ${escapeHtml(connection.id)} is ready. You can close this window.`));
      },
      (error: unknown) => {
        const hubError = toHubError(error);
        if (hubError.code === 'HUB_ERR_INTERNAL') options.log.error({ err: hubError.message }, 'OAuth callback failed');
        else options.log.warn({ code: hubError.code, err: hubError.message }, 'OAuth callback refused');
        res
          .status(hubError.httpStatus)
          .type('html')
          .send(
            page('Not connected', `${escapeHtml(hubError.code)}: ${escapeHtml(hubError.code === 'HUB_ERR_INTERNAL' ? 'Internal error' : hubError.message)}`),
          );
      },
    );
  };
}

/** The small page the browser sees at the end of a connect step (also /oauth/connect's). */
export function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} - Lunar Snake Hub</title></head><body><h1>${title}</h1><p>${message}</p></body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
