/**
 * The outermost stage, so every entry point (MCP over HTTP and stdio, the console,
 * workflows, messaging, connection tests) gets the same: a failure of any kind becomes an
 * `isError` result with its code (one conversion, errorResult), and the end of every call
 * is published on `lunar-hub:call:end`, which the audit trail and metrics subscribe to.
 *
 * An unknown tool is the one failure it lets through: that is protocol misuse, which
 * the entry point answers in its own terms (a JSON-RPC error over MCP).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { isHubError } from '../../errors';
import { callEnd, codeOf, type CallEndEvent, type Stage } from '../core';
import { errorResult } from './map-result';

export const observe: Stage = (next) => async (ctx) => {
  const started = performance.now();
  let result: CallToolResult;
  let outcome: CallEndEvent['outcome'];
  try {
    result = await next(ctx);
    outcome = result.isError ? 'tool_error' : 'ok';
  } catch (error) {
    if (isHubError(error) && error.code === 'HUB_ERR_CALL_UNKNOWN_TOOL') throw error;
    result = errorResult(error, ctx.toolName);
    outcome = 'tool_error';
    if (codeOf(result) === 'HUB_ERR_INTERNAL') {
      outcome = 'failed';
      ctx.log.error({ err: error }, 'tool call failed');
    }
  }
  const { principal, facts } = ctx;
  const event: CallEndEvent = {
    connector: ctx.registered?.connectorId ?? '',
    tool: ctx.toolName,
    kind: ctx.registered?.kind ?? 'unknown',
    entry: ctx.entry ?? 'mcp',
    outcome,
    code: codeOf(result),
    durationMs: performance.now() - started,
    ...(principal ? { tenantId: principal.tenantId, agentId: principal.agentId } : {}),
    ...(facts.connectionId !== undefined ? { connectionId: facts.connectionId } : {}),
    ...(facts.credentialOwner !== undefined ? { credentialOwner: facts.credentialOwner } : {}),
    ...(facts.upstreamStatus !== undefined ? { upstreamStatus: facts.upstreamStatus } : {}),
  };
  if (callEnd.hasSubscribers) callEnd.publish(event);
  ctx.log.info({ outcome, code: event.code, ms: Math.round(event.durationMs) }, 'tool call');
  return result;
};
