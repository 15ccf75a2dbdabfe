/**
 * Metrics, traces and audit subscribe to these channels instead of sitting in the call
 * path (STYLE.md: undici's lib/core/diagnostics.js). Publishing with no subscriber
 * costs next to nothing.
 */
import diagnostics from 'node:diagnostics_channel';

export interface CallEndEvent {
  connector: string;
  tool: string;
  /** The tool's kind (`http`...). */
  kind: string;
  /** Where the call came in (MCP, console, workflow...). */
  entry: string;
  /** ok, tool_error (isError result: upstream 4xx/5xx, bad arguments...), failed (an exception). */
  outcome: 'ok' | 'tool_error' | 'failed';
  code?: string;
  durationMs: number;
  /** Who called (absent where the hub runs without a store). */
  tenantId?: string;
  agentId?: string;
  /** Whose credentials went upstream: the connection, and `user:<id>` or `tenant`. */
  connectionId?: string;
  credentialOwner?: string;
  upstreamStatus?: number;
}

export interface UpstreamEvent {
  connector: string;
  tool: string;
  method: string;
  status: number;
  durationMs: number;
}

export const callEnd = diagnostics.channel('lunar-hub:call:end');
export const upstreamResponse = diagnostics.channel('lunar-hub:upstream:response');
