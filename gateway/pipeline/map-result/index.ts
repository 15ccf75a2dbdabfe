/**
 * Pipeline stage 10 (DESIGN.md "The call pipeline"): an upstream HTTP response, or a
 * failure around the call, becomes an MCP `CallToolResult` (protocol 2025-11-25).
 *
 * What an agent sees is paid for per token and read by a model, so: JSON is sent
 * compact, a cut body says how to get the rest with the tool's own arguments, and an
 * upstream error is one line with the upstream's own message (redacted, see redact.ts).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ConnectorRuntime, HttpOperationTool, UpstreamResponse } from '../../core';
import { successResult } from './success';
import { redirectResult, upstreamErrorResult } from './upstream-error';

export { META_CODE, META_RETRY_AFTER, META_STATUS, META_TRUNCATED } from '../../core';
export { ERROR_MESSAGE_LIMIT } from './upstream-error';
export { responseUri } from './success';
export { truncationNotice } from './truncation';
export { messageFromJson } from './error-message';
export { errorResult } from './failure';
export { formatBytes, minifyJson } from './parts';

export function mapResponse(registered: HttpOperationTool, response: UpstreamResponse, connector: ConnectorRuntime): CallToolResult {
  const { status } = response;
  if (status >= 300 && status < 400) return redirectResult(response, connector);
  if (status < 200 || status >= 400) return upstreamErrorResult(response, connector);
  return successResult(registered, response, connector);
}
