/**
 * Input requests (MCP 2026-07-28 multi-round-trip, basic/patterns/mrtr) for the one input
 * a tool call can lack that a person can give: an OAuth connection. When a call fails
 * because the caller has no connection for an OAuth connector (HUB_ERR_CRED_MISSING), a
 * 2026-07-28 client that declared URL elicitation gets an `input_required` result: a link
 * where the user connects (connect-link.ts) and a signed requestState naming the tool and
 * the principal (request-state.ts). When the client retries with its inputResponses and
 * that state, the state is checked and the call simply runs again: with the connection
 * now, or, still without one, the same question again.
 *
 * Everyone else keeps the coded tool error that says how to connect: 2025-11-25 clients
 * (whose URL elicitation is a different, push-style exchange), clients without URL
 * elicitation, stdio (no browser-reachable hub), API-key connectors.
 */
import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type InputRequiredResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { isHubError } from '../../errors';
import type { Principal } from '../../auth';
import { codeOf, META_CODE, type CallContext } from '../core';
import type { ConnectTicket } from './connect-link';
import { callBinding, type RequestStateKeyring } from './request-state';

export interface InputRequestServices {
  keyring: RequestStateKeyring;
  /** The link where a person connects an OAuth connector for `who`; absent: no link can be given (stdio). */
  connectLink?: (who: ConnectTicket) => Promise<string>;
}

/** What a tools/call requestState carries (readable by the client: nothing secret). */
export interface CallState {
  v: 1;
  tool: string;
  connector: string;
  /** Names this question across rounds (2026-07-28 URL elicitation has no id of its own). */
  elicitation: string;
}

/**
 * A retried call's requestState, verified: undefined when the request carries none; a
 * JSON-RPC -32602 error (data.code HUB_ERR_STATE_INVALID, data.reason) when it is not
 * one this hub issued to this principal for this tool, or has expired. Nothing runs then.
 * Checked here rather than in the SDK's `ServerOptions.requestState.verify` hook, which
 * answers every refusal with one frozen message: ours names the code and the reason.
 */
export async function verifiedRetryState(
  services: InputRequestServices,
  extra: ServerContext,
  principal: Principal | undefined,
  tool: string,
): Promise<CallState | undefined> {
  const state: unknown = extra.mcpReq.requestState();
  if (state === undefined) return undefined;
  try {
    if (typeof state !== 'string') throw new TypeError('requestState is not a string');
    return await services.keyring.verify<CallState>(state, callBinding(principal, tool));
  } catch (error) {
    if (!isHubError(error))
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState must be a string', { code: 'HUB_ERR_STATE_INVALID', reason: 'malformed' });
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${error.code}: ${error.message}`, { code: error.code, ...error.details });
  }
}

/** The input_required answer to a call that lacked an OAuth connection, or undefined to return the result as it is. */
export async function connectionInputRequired(
  services: InputRequestServices,
  ctx: CallContext,
  result: CallToolResult,
  extra: ServerContext,
  retried: CallState | undefined,
): Promise<InputRequiredResult | undefined> {
  const { principal, registered } = ctx;
  if (codeOf(result) !== 'HUB_ERR_CRED_MISSING' || !principal || !registered || !services.connectLink) return undefined;
  const scheme = ctx.snapshot.connectors.get(registered.connectorId)?.runtime.auth?.scheme;
  // Only the authorisation-code flow has a page a person can open; a key or a client-credentials app is an admin's job.
  if (scheme?.type !== 'oauth2' || !scheme.oauth.flows.includes('authorizationCode')) return undefined;
  if (!declaresUrlElicitation(extra)) return undefined;
  const key = `connect-${registered.connectorId}`;
  // The user said no to this very question: asking again would loop; the tool error says what else works.
  if (retried && declined(extra.mcpReq.inputResponses?.[key])) return undefined;
  const url = await services.connectLink({ tenantId: principal.tenantId, userId: principal.userId, connectorId: registered.connectorId });
  const state: CallState = { v: 1, tool: ctx.toolName, connector: registered.connectorId, elicitation: retried?.elicitation ?? randomUUID() };
  const asked = inputRequired({
    inputRequests: {
      [key]: inputRequired.elicitUrl({
        message: `${ctx.toolName} needs your ${registered.connectorId} account. Open the link to connect it (the hub keeps the connection for later calls), then retry.`,
        url,
      }),
    },
    requestState: await services.keyring.mint(state, callBinding(principal, ctx.toolName)),
  });
  // Programs can still read why, as from the tool error this replaces.
  return { ...asked, _meta: { [META_CODE]: 'HUB_ERR_CRED_MISSING' } };
}

/** The request's own 2026-07-28 envelope says the client can open a URL for its user. */
function declaresUrlElicitation(extra: ServerContext): boolean {
  const capabilities = extra.mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY as never] as { elicitation?: { url?: unknown } } | undefined;
  return typeof capabilities?.elicitation?.url === 'object' && capabilities.elicitation.url !== null;
}

function declined(response: unknown): boolean {
  const action = (response as { action?: unknown } | undefined)?.action;
  return action === 'decline' || action === 'cancel';
}
