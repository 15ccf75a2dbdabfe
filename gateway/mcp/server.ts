/**
 * One MCP server (the SDK's low-level Server: our tools carry raw JSON Schema) for one
 * session or one stdio connection. It reads the registry's current snapshot on every
 * request, hands tools/call to the pipeline (whose observe stage maps errors and records
 * the call for every entry point), and tells the client when its tool list changes.
 * `serve` and `stdio` differ only in the transport they connect it to.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { isHubError, nearestNames } from '../../errors';
import type { Principal } from '../../auth';
import { codeOf, visibleIn, type CallContext, type CallFn, type RegisteredTool, type RegistrySnapshot, type ToolView } from '../core';
import { HUB_VERSION } from '../package-info';
import { principalFilter } from '../pipeline/authorise';
import type { Registry } from '../registry/registry';
import { pageOf } from './pagination';

export const SERVER_INFO = { name: 'lunar-snake-hub', version: HUB_VERSION };

export interface McpServerOptions {
  registry: Registry;
  call: CallFn;
  log: Logger;
  /** Tools per tools/list page. */
  pageSize: number;
  view?: ToolView;
  /** Who this session acts for; its toolsets and read-only flag narrow what it lists. */
  principal?: Principal;
}

export function createMcpServer(options: McpServerOptions): { server: Server; dispose: () => void } {
  const { registry, call, log, pageSize, view, principal } = options;
  // What the session's URL asks for: a tool outside it is unknown here. What the principal
  // may not call is left out of tools/list but reaches the pipeline, whose authorise stage says why.
  const inView = visibleIn(view);
  const listed = both(inView, principalFilter(principal));
  const server = new Server(SERVER_INFO, {
    // logging: clients may set a level (logging/setLevel) and get a message for each failed call.
    capabilities: { tools: { listChanged: true }, logging: {} },
    instructions: 'Tools generated from OpenAPI specs by Lunar Snake Hub; each calls one HTTP API operation.',
  });
  const toolsOf = (snapshot: RegistrySnapshot): readonly RegisteredTool[] => (listed ? snapshot.tools.filter(listed) : snapshot.tools);

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const { page, nextCursor } = pageOf(toolsOf(registry.current), request.params?.cursor, pageSize);
    return { tools: page.map((t) => t.tool as Tool), ...(nextCursor ? { nextCursor } : {}) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const snapshot = registry.current;
    const name = request.params.name;
    const callId = randomUUID();
    const token = request.params._meta?.progressToken;
    let lastProgress = -Infinity;
    const progress = (value: number, total?: number, message?: string): void => {
      if (token === undefined || value <= lastProgress) return; // progress must increase
      lastProgress = value;
      void extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: value, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
        })
        .catch(() => undefined);
    };
    const ctx: CallContext = {
      callId,
      toolName: name,
      args: request.params.arguments ?? {},
      signal: extra.signal,
      snapshot,
      ...(inView ? { visible: inView } : {}),
      progress,
      log: log.child({ callId, tool: name }),
      ...(principal ? { principal } : {}),
      entry: 'mcp',
      facts: {},
    };
    let result: CallToolResult;
    try {
      result = await call(ctx);
    } catch (error) {
      // An unknown tool is a protocol error (JSON-RPC), with the nearest names this session can see.
      if (isHubError(error) && error.code === 'HUB_ERR_CALL_UNKNOWN_TOOL')
        throw new McpError(ErrorCode.InvalidParams, unknownToolMessage(name, toolsOf(snapshot)));
      throw error;
    }
    if (result.isError) {
      const code = codeOf(result);
      const level = code === 'HUB_ERR_INTERNAL' ? 'error' : 'warning';
      void server.sendLoggingMessage({ level, logger: 'lunar-hub', data: { tool: name, code: code ?? 'isError' } }, extra.sessionId).catch(() => undefined);
    }
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

/** `Unknown tool: X` and, where some are close, the names the session could have meant. */
export function unknownToolMessage(name: string, tools: readonly RegisteredTool[]): string {
  const near = nearestNames(
    name,
    tools.map((t) => t.tool.name),
  );
  const hint =
    near.length > 0
      ? `; did you mean ${near.join(', ')}?`
      : tools.length > 0
        ? '; tools/list shows the tools this session can call'
        : '; this session has no tools';
  return `Unknown tool: ${name}${hint}`;
}

function both<T>(a: ((x: T) => boolean) | undefined, b: ((x: T) => boolean) | undefined): ((x: T) => boolean) | undefined {
  if (!a || !b) return a ?? b;
  return (x) => a(x) && b(x);
}

/** Tool objects are rebuilt whenever their spec is reloaded, so identity tells what changed. */
function sameTools(a: readonly RegisteredTool[], b: readonly RegisteredTool[]): boolean {
  return a.length === b.length && a.every((tool, i) => tool === b[i]);
}
