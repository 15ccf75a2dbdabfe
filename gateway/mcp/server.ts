/**
 * One MCP server (SDK v2's low-level Server: our tools carry raw JSON Schema) for one
 * 2025-11-25 session, one stdio connection, or one 2026-07-28 request (that era is
 * stateless: the SDK builds a server per request from the same factory). It reads the
 * registry's current snapshot on every request, hands tools/call to the pipeline (whose
 * observe stage maps errors and records the call for every entry point), and, on the
 * legacy era, tells the client when its tool list changes (the modern era learns that
 * through `subscriptions/listen`, fed by the HTTP app).
 */
import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  SUPPORTED_PROTOCOL_VERSIONS,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  type CallToolResult,
  type InputRequiredResult,
  type ServerContext,
  type ServerOptions,
  type Tool,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { isHubError, nearestNames } from '../../errors';
import type { Principal } from '../../auth';
import { codeOf, parseTraceparent, visibleIn, type CallContext, type CallFn, type RegisteredTool, type RegistrySnapshot, type ToolView } from '../core';
import { HUB_VERSION } from '../package-info';
import { principalFilter } from '../pipeline/authorise';
import type { Registry } from '../registry/registry';
import { connectionInputRequired, verifiedRetryState, type InputRequestServices } from './input-required';
import { CALL_TOOL, describeTool, DISCOVERY_NAMES, DISCOVERY_TOOLS, MAX_QUERY_LENGTH, searchTools, SEARCH_TOOLS } from './discovery';
import { pageOf } from './pagination';
import { TASKS_EXTENSION, type TaskRunner } from './tasks';

export const SERVER_INFO = { name: 'lunar-snake-hub', version: HUB_VERSION };

/** The revision this hub adds to the SDK's 2025-era list: served statelessly, chosen by `server/discover`. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
export const PROTOCOL_VERSIONS = [MODERN_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS];

/**
 * How long a client may reuse a tools/list page (2026-07-28 `ttlMs`). Short: a spec
 * dropped into specs/ changes the list, and a 2026 client hears of it only if it
 * listens. `private`: what a principal sees depends on its toolsets.
 */
const LIST_CACHE = { ttlMs: 60_000, cacheScope: 'private' } as const;

export type ProtocolEra = 'legacy' | 'modern';

export interface McpServerOptions {
  registry: Registry;
  call: CallFn;
  log: Logger;
  /** Tools per tools/list page. */
  pageSize: number;
  view?: ToolView;
  /** Who this session acts for; its toolsets and read-only flag narrow what it lists. */
  principal?: Principal;
  /** legacy: a 2025 session or stdio connection (list_changed pushes); modern: one stateless 2026 request. */
  era?: ProtocolEra;
  /** Long calls as tasks for clients that declare the tasks extension (tasks.ts); absent: every call is answered when it ends. */
  tasks?: TaskRunner;
  /** Modern era: signed requestState and connect links for calls that lack an OAuth connection (input-required.ts). */
  inputRequests?: InputRequestServices;
}

export function createMcpServer(options: McpServerOptions): { server: Server; dispose: () => void } {
  const { registry, call, log, pageSize, view, principal } = options;
  const era = options.era ?? 'legacy';
  // What the session's URL asks for: a tool outside it is unknown here. What the principal
  // may not call is left out of tools/list but reaches the pipeline, whose authorise stage says why.
  const inView = visibleIn(view);
  const listed = both(inView, principalFilter(principal));
  const serverOptions: ServerOptions = {
    // logging: 2025 clients may set a level (logging/setLevel) and get a message for each failed call.
    capabilities: { tools: { listChanged: true }, logging: {}, ...(options.tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}) },
    instructions: 'Tools generated from OpenAPI specs by Lunar Snake Hub; each calls one HTTP API operation.',
    supportedProtocolVersions: PROTOCOL_VERSIONS,
    cacheHints: { 'tools/list': LIST_CACHE },
  };
  const server = new Server(SERVER_INFO, serverOptions);
  // The tasks extension keeps its own handlers (tasks/get, tasks/update, tasks/cancel) and one hook in tools/call below.
  const tasks = options.tasks?.attach(server, principal);
  const toolsOf = (snapshot: RegistrySnapshot): readonly RegisteredTool[] => (listed ? snapshot.tools.filter(listed) : snapshot.tools);

  // Tools are sorted by name in every snapshot: pages are deterministic, as 2026-07-28 requires.
  const dynamic = view?.dynamic === true;
  server.setRequestHandler('tools/list', async (request) => {
    // Dynamic discovery: three meta-tools stand for every tool (discovery.ts).
    if (dynamic) return { tools: [...DISCOVERY_TOOLS] };
    const { page, nextCursor } = pageOf(toolsOf(registry.current), request.params?.cursor, pageSize);
    return { tools: page.map((t) => t.tool as Tool), ...(nextCursor ? { nextCursor } : {}) };
  });

  server.setRequestHandler('tools/call', async (request, extra: ServerContext): Promise<CallToolResult | InputRequiredResult> => {
    const snapshot = registry.current;
    let name = request.params.name;
    let callArguments = request.params.arguments ?? {};
    if (dynamic && DISCOVERY_NAMES.has(name)) {
      const meta = discoveryCall(name, callArguments, snapshot, listed, toolsOf);
      if (meta.result) return meta.result;
      // call_tool: from here on exactly a direct call of the tool it names.
      ({ name, callArguments } = meta.call!);
    }
    const callId = randomUUID();
    // A 2026-07-28 retry of an input_required answer: its requestState must be ours, for this principal and tool, before anything runs.
    const inputs = era === 'modern' ? options.inputRequests : undefined;
    const retried = inputs ? await verifiedRetryState(inputs, extra, principal, name) : undefined;
    // W3C trace context from either era's `_meta`; a malformed value is ignored.
    const trace = parseTraceparent(request.params._meta?.[TRACEPARENT_META_KEY], request.params._meta?.[TRACESTATE_META_KEY]);
    const token = request.params._meta?.progressToken;
    let lastProgress = -Infinity;
    const progress = (value: number, total?: number, message?: string): void => {
      if (token === undefined || value <= lastProgress) return; // progress must increase
      lastProgress = value;
      void extra.mcpReq
        .notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress: value, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
        })
        .catch(() => undefined);
    };
    const ctx: CallContext = {
      callId,
      toolName: name,
      args: callArguments,
      signal: extra.mcpReq.signal,
      snapshot,
      ...(inView ? { visible: inView } : {}),
      progress,
      log: log.child({ callId, tool: name, ...(trace ? { traceId: trace.traceId } : {}) }),
      ...(trace ? { trace } : {}),
      ...(principal ? { principal } : {}),
      entry: 'mcp',
      facts: {},
    };
    let result: CallToolResult;
    try {
      // With tasks: a call that outlasts mcp.taskAfterMs answers with a task handle and goes on.
      result = tasks ? await tasks.call(ctx, extra, call) : await call(ctx);
    } catch (error) {
      // An unknown tool is a protocol error (JSON-RPC), with the nearest names this session can see.
      if (isHubError(error) && error.code === 'HUB_ERR_CALL_UNKNOWN_TOOL')
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, unknownToolMessage(name, toolsOf(snapshot)));
      throw error;
    }
    // Modern era: a missing OAuth connection becomes a question for the user (a connect link), not an error.
    const asked = inputs ? await connectionInputRequired(inputs, ctx, result, extra, retried) : undefined;
    if (asked) return asked;
    // 2026-07-28 deprecates server log notifications (SEP-2577), and one would turn a plain
    // JSON answer into an event stream: only 2025 sessions get them.
    if (result.isError && era === 'legacy') {
      const code = codeOf(result);
      const level = code === 'HUB_ERR_INTERNAL' ? 'error' : 'warning';
      void extra.mcpReq.log(level, { tool: name, code: code ?? 'isError' }, 'lunar-hub').catch(() => undefined);
    }
    return result;
  });

  // A dynamic list is the same three tools whatever is reloaded: nothing to tell.
  if (era === 'modern' || dynamic) return { server, dispose: () => undefined };
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

/**
 * A meta-tool of dynamic discovery: search_tools and describe_tool answer here, over what
 * the session may see; call_tool gives back the tool and arguments to run as a direct call.
 */
function discoveryCall(
  name: string,
  args: Record<string, unknown>,
  snapshot: RegistrySnapshot,
  listed: ((tool: RegisteredTool) => boolean) | undefined,
  toolsOf: (snapshot: RegistrySnapshot) => readonly RegisteredTool[],
): { result?: CallToolResult; call?: { name: string; callArguments: Record<string, unknown> } } {
  const text = (value: unknown): CallToolResult => ({
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: value as Record<string, unknown>,
  });
  const refuse = (message: string): never => {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, message);
  };
  if (name === SEARCH_TOOLS) {
    if (typeof args.query !== 'string' || args.query.trim() === '') refuse('search_tools needs a query: what you want to do, in plain words');
    if ((args.query as string).length > MAX_QUERY_LENGTH)
      refuse(`search_tools: the query is ${(args.query as string).length} characters; say it in at most ${MAX_QUERY_LENGTH}`);
    const limit = typeof args.limit === 'number' && Number.isInteger(args.limit) ? Math.min(Math.max(args.limit, 1), 25) : undefined;
    const connector = typeof args.connector === 'string' ? args.connector : undefined;
    const hits = searchTools(snapshot, args.query as string, {
      ...(listed ? { visible: listed } : {}),
      ...(connector ? { connector } : {}),
      ...(limit ? { limit } : {}),
    });
    return { result: text({ tools: hits }) };
  }
  const target = typeof args.name === 'string' ? args.name : refuse(`${name} needs the name of a tool (search_tools finds them)`);
  const inner = args.arguments ?? {};
  if (name === CALL_TOOL) {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) refuse("call_tool: `arguments` must be an object of the tool's arguments");
    // Whether it exists for this session, and whether this caller may call it, is decided as for a direct call.
    return { call: { name: target, callArguments: inner as Record<string, unknown> } };
  }
  const tool = snapshot.byName.get(target);
  if (!tool || (listed && !listed(tool))) refuse(unknownToolMessage(target, toolsOf(snapshot)));
  return { result: text(describeTool(tool!)) };
}
