/**
 * One MCP server (the SDK's low-level Server: our tools carry raw JSON Schema) for one
 * session or one stdio connection. It reads the registry's current snapshot on every
 * request, runs tools/call through the pipeline, and tells the client when its tool
 * list changes. `serve` and `stdio` differ only in the transport they connect it to.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { HUB_VERSION } from '../package-info';
import type { CallFn } from '../pipeline/compose';
import { callEnd, type CallEndEvent } from '../pipeline/diagnostics';
import { errorResult } from '../pipeline/map-result';
import type { RegisteredTool } from '../pipeline/types';
import type { Registry } from '../registry/registry';
import type { RegistrySnapshot } from '../registry/snapshot';
import { pageOf } from './pagination';
import { visibleIn, type ToolView } from './tool-view';
import type { Principal } from '../../auth/principal';
import { principalFilter } from '../pipeline/authorise';
import type { CallContext } from '../pipeline/compose';

export const SERVER_INFO = { name: 'lunar-snake-hub', version: HUB_VERSION };

export interface McpServerOptions {
  registry: Registry;
  call: CallFn;
  log: Logger;
  /** Tools per tools/list page. */
  pageSize: number;
  view?: ToolView;
  /** Who this session acts for; its toolsets and read-only flag narrow what it sees. */
  principal?: Principal;
}

export function createMcpServer(options: McpServerOptions): { server: Server; dispose: () => void } {
  const { registry, call, log, pageSize, view, principal } = options;
  const visible = both(visibleIn(view), principalFilter(principal));
  const server = new Server(SERVER_INFO, {
    // logging: clients may set a level (logging/setLevel) and get a message for each failed call.
    capabilities: { tools: { listChanged: true }, logging: {} },
    instructions: 'Tools generated from OpenAPI specs by Lunar Snake Hub; each calls one HTTP API operation.',
  });
  const toolsOf = (snapshot: RegistrySnapshot): readonly RegisteredTool[] => (visible ? snapshot.tools.filter(visible) : snapshot.tools);

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const { page, nextCursor } = pageOf(toolsOf(registry.current), request.params?.cursor, pageSize);
    return { tools: page.map((t) => t.tool as Tool), ...(nextCursor ? { nextCursor } : {}) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const snapshot = registry.current;
    const name = request.params.name;
    const registered = snapshot.byName.get(name);
    // An unknown tool is a protocol error; anything that goes wrong with a known one is a tool result.
    if (!registered || (visible && !visible(registered))) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const callId = randomUUID();
    const started = performance.now();
    const token = request.params._meta?.progressToken;
    let lastProgress = -Infinity;
    const progress = (value: number, total?: number, message?: string): void => {
      if (token === undefined || value <= lastProgress) return; // progress must increase
      lastProgress = value;
      void extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: value, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) } })
        .catch(() => undefined);
    };
    const callLog = log.child({ callId, tool: name });
    let result: CallToolResult;
    let outcome: CallEndEvent['outcome'];
    const ctx: CallContext = { callId, toolName: name, args: request.params.arguments ?? {}, signal: extra.signal, snapshot, visible, progress, log: callLog, ...(principal ? { principal } : {}) };
    try {
      result = await call(ctx);
      outcome = result.isError ? 'tool_error' : 'ok';
    } catch (error) {
      result = errorResult(error, name);
      outcome = 'tool_error';
      const code = (result._meta as Record<string, unknown> | undefined)?.['lunar-hub/code'];
      if (code === 'HUB_ERR_INTERNAL') {
        outcome = 'failed';
        callLog.error({ err: error }, 'tool call failed');
      }
    }
    const event: CallEndEvent = {
      connector: registered.connectorId,
      tool: name,
      outcome,
      code: (result._meta as Record<string, string> | undefined)?.['lunar-hub/code'],
      durationMs: performance.now() - started,
      ...(principal ? { tenantId: principal.tenantId, agentId: principal.agentId } : {}),
      ...(ctx.credential ? { connectionId: ctx.credential.connection.id, credentialOwner: ctx.credential.owner } : {}),
      ...(ctx.upstreamStatus !== undefined ? { upstreamStatus: ctx.upstreamStatus } : {}),
    };
    if (callEnd.hasSubscribers) callEnd.publish(event);
    if (outcome !== 'ok') {
      const level = outcome === 'failed' ? 'error' : 'warning';
      void server.sendLoggingMessage({ level, logger: 'lunar-hub', data: { tool: name, code: event.code ?? 'isError' } }, extra.sessionId).catch(() => undefined);
    }
    callLog.info({ outcome, code: event.code, ms: Math.round(event.durationMs) }, 'tool call');
    return result;
  });

  // Tell the client when the tools it can see change (a spec added, changed or removed).
  let seen = toolsOf(registry.current);
  const onChanged = (next: RegistrySnapshot): void => {
    const now = toolsOf(next);
    if (sameTools(seen, now)) return;
    seen = now;
    server.sendToolListChanged().catch((error: Error) => log.debug({ err: error.message }, 'list_changed not delivered'));
  };
  registry.on('changed', onChanged);
  return { server, dispose: () => registry.off('changed', onChanged) };
}

function both<T>(a: ((x: T) => boolean) | undefined, b: ((x: T) => boolean) | undefined): ((x: T) => boolean) | undefined {
  if (!a || !b) return a ?? b;
  return (x) => a(x) && b(x);
}

/** Tool objects are rebuilt whenever their spec is reloaded, so identity tells what changed. */
function sameTools(a: readonly RegisteredTool[], b: readonly RegisteredTool[]): boolean {
  return a.length === b.length && a.every((tool, i) => tool === b[i]);
}
