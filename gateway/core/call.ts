/**
 * One call as every stage sees it, whatever the tool's kind and whatever the entry point
 * (MCP over HTTP or stdio, the console's try-a-tool, a workflow, a message). Stages are
 * `(next: CallFn) => CallFn` (STYLE.md "The tool half"), composed once (pipeline/compose.ts).
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { CallCredential, Principal } from '../../auth';
import type { ConnectorRuntime, HttpOperationTool, UpstreamRequest } from './http';
import type { RegistrySnapshot } from './snapshot';
import type { RegisteredTool } from './tool';
import type { ToolBase } from './tool-base';
import type { TraceContext } from './trace';

/** Where a call came in; the audit trail and metrics record it. */
export type EntryPoint = 'mcp' | 'console' | 'workflow' | 'messaging' | 'connection-test';

/** What a call did that the audit trail keeps (set by the kind's stages, read by observe). */
export interface CallFacts {
  /** The connection whose credentials went upstream, and `user:<id>` or `tenant`. */
  connectionId?: string;
  credentialOwner?: string;
  /** The upstream's HTTP status of the last attempt. */
  upstreamStatus?: number;
}

/** The HTTP operation kind's working state (pipeline/http-tool). */
export interface HttpCallState {
  connector: ConnectorRuntime;
  request?: UpstreamRequest;
  /** The connection whose credentials the request carries. */
  credential?: CallCredential;
}

export interface CallContext {
  readonly callId: string;
  readonly toolName: string;
  readonly args: Record<string, unknown>;
  /** Aborted when the client cancels (notifications/cancelled) or the session closes. */
  readonly signal: AbortSignal;
  /** The registry snapshot this call started on; a reload does not change it mid-call. */
  readonly snapshot: RegistrySnapshot;
  /** Tools this session may call (undefined: every tool of the snapshot). */
  readonly visible?: (tool: RegisteredTool) => boolean;
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  readonly progress: (progress: number, total?: number, message?: string) => void;
  readonly log: Logger;
  /** Who the call acts for (the front door made it); absent only where no store is configured. */
  readonly principal?: Principal;
  /** Default 'mcp'. */
  readonly entry?: EntryPoint;
  /** The caller's W3C trace (`_meta.traceparent`); upstream requests carry it on with a span of their own. */
  readonly trace?: TraceContext;
  /** Set by resolveTool. */
  registered?: RegisteredTool;
  facts: CallFacts;
  /** Set by the HTTP kind. */
  http?: HttpCallState;
}

export type CallFn = (ctx: CallContext) => Promise<CallToolResult>;
export type Stage = (next: CallFn) => CallFn;

/** Sees every stage start and end (a test pins the order with it; a tracer could too). */
export type StageTrace = (event: 'start' | 'end', stage: string, ctx: CallContext) => void;

/** The tool of a call that only an HTTP tool can make; any other kind there is a wiring bug. */
export function httpToolOf(ctx: Pick<CallContext, 'registered'>): HttpOperationTool {
  const tool = ctx.registered as ToolBase | undefined;
  if (tool?.kind !== 'http') throw new Error(`an HTTP stage ran for a ${tool?.kind ?? 'missing'} tool`);
  return tool as HttpOperationTool;
}
