/**
 * The link a person opens to connect their account at an OAuth connector: the hub's
 * `/oauth/connect?ticket=...`, which starts the authorisation (auth/ OAuthConnections)
 * only when opened and sends the browser on to the authorisation server. A link costs
 * nothing until then: an agent retrying a call does not leave pending connections behind.
 *
 * The ticket is signed by the request-state keyring under its own binding (a requestState
 * is never a ticket, nor the reverse) and lives as long as a requestState; whoever holds
 * it within that time can connect an account for the principal it names, which is what
 * a URL elicitation hands the user. The authorisation it starts keeps its own one-time
 * state for the callback.
 */
import type { RequestStateKeyring } from './request-state';

export const CONNECT_PATH = '/oauth/connect';

const TICKET_BINDING = 'oauth/connect';

/** Whose connection the link makes: the tenant, its user (null: the tenant's own), the connector. */
export interface ConnectTicket {
  tenantId: string;
  userId: string | null;
  connectorId: string;
}

export async function connectLink(keyring: RequestStateKeyring, publicUrl: string, who: ConnectTicket): Promise<string> {
  const ticket = await keyring.mint<ConnectTicket>({ tenantId: who.tenantId, userId: who.userId, connectorId: who.connectorId }, TICKET_BINDING);
  return `${publicUrl.replace(/\/+$/, '')}${CONNECT_PATH}?ticket=${encodeURIComponent(ticket)}`;
}

/** The ticket's content; a HUB_ERR_STATE_INVALID error when it is not one this hub (or a node with its keys) issued, or expired. */
export function readConnectTicket(keyring: RequestStateKeyring, ticket: string): Promise<ConnectTicket> {
  return keyring.verify<ConnectTicket>(ticket, TICKET_BINDING);
}
