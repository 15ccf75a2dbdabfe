/**
 * Puts a credential on a request, by scheme: a header, a query parameter or a cookie.
 * Pure: returns a new url and headers object, never edits the ones given (STYLE.md: a
 * stage never mutates the request it was given).
 */
import { errors } from '../../errors';
import type { CredentialPayload } from './payload';
import type { UpstreamScheme } from './schemes';

export interface Authenticated {
  url: string;
  headers: Record<string, string>;
}

export function applyCredential(connectorId: string, scheme: UpstreamScheme, credential: CredentialPayload, request: Authenticated): Authenticated {
  const headers = { ...request.headers };
  switch (scheme.type) {
    case 'apiKey': {
      if (credential.kind !== 'api_key') throw mismatch(connectorId, scheme, credential);
      if (scheme.in === 'header') headers[scheme.name.toLowerCase()] = credential.apiKey;
      else if (scheme.in === 'cookie') headers.cookie = [headers.cookie, `${scheme.name}=${encodeURIComponent(credential.apiKey)}`].filter(Boolean).join('; ');
      else {
        const url = new URL(request.url);
        url.searchParams.set(scheme.name, credential.apiKey);
        return { url: url.href, headers };
      }
      return { url: request.url, headers };
    }
    case 'basic':
      if (credential.kind !== 'basic') throw mismatch(connectorId, scheme, credential);
      headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
      return { url: request.url, headers };
    case 'bearer':
    case 'oauth2': {
      const token = credential.kind === 'bearer' ? credential.token : credential.kind === 'oauth2' ? credential.accessToken : undefined;
      if (token === undefined) throw mismatch(connectorId, scheme, credential);
      headers.authorization = `${scheme.prefix} ${token}`;
      return { url: request.url, headers };
    }
  }
}

function mismatch(connectorId: string, scheme: UpstreamScheme, credential: CredentialPayload) {
  return errors.CRED_SCHEME([
    connectorId,
    `its ${scheme.type} authentication cannot use a ${credential.kind} connection; create a connection of the kind the connector needs`,
  ]);
}
