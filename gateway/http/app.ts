/**
 * The hub over HTTP: `/mcp` (MCP Streamable HTTP; `/mcp/<connector>` for one
 * connector; `?toolsets=` to pick), `/healthz`, `/metrics`. Both protocol eras on one
 * endpoint, told apart per request by the SDK's own classifier:
 * - 2026-07-28 (a `_meta` envelope on every request) is stateless: the SDK's
 *   `createMcpHandler` builds a server per request, so any worker or node can answer
 *   any request; tool-list changes reach its clients through `subscriptions/listen`.
 * - 2025-11-25 (`initialize` first) keeps sessions by default; in `--stateless` mode
 *   every POST gets a fresh server and transport (no list_changed pushes then).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import { hostHeaderValidation, localhostHostValidation } from '@modelcontextprotocol/express';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { classifyInboundRequest, createMcpHandler, isInitializeRequest, type AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { toHubError } from '../../errors';
import { type CallFn, parseToolsets, type ToolView, withToolsMode } from '../core';
import type { Registry } from '../registry/registry';
import { createMcpServer } from '../mcp/server';
import type { InputRequestServices } from '../mcp/input-required';
import type { HubMetrics } from './metrics';
import type { Principal } from '../../auth';
import type { Authenticate } from './front-door';
import { FORWARDED_HEADER, WORKER_HEADER } from '../cluster';
import type { TaskRunner } from '../mcp/tasks';
import { admissionGate, type AdmissionOptions } from './admission';

export interface HttpAppOptions {
  registry: Registry;
  call: CallFn;
  log: Logger;
  metrics: HubMetrics;
  pageSize: number;
  /** What tools/list holds when a request does not say (`?tools=`): every tool of the view, or the discovery meta-tools. */
  toolsMode?: 'all' | 'dynamic';
  stateless: boolean;
  /** The address the hub binds; loopback binds get DNS-rebinding protection. */
  host: string;
  /** Host names accepted in the Host header when binding elsewhere. */
  allowedHosts?: string[];
  /** A session with no request for this long is closed. */
  sessionIdleMs?: number; // milliseconds
  /** Largest JSON request body (tool arguments with base64 files). */
  maxRequestBytes?: number; // bytes
  /** Who is calling /mcp (front-door.ts); absent: no principal (tests of the bare transport). */
  authenticate?: Authenticate;
  /** Long calls as tasks (the MCP tasks extension) for clients that declare it; passed to every server made here. */
  tasks?: TaskRunner;
  /** Routers built by the CLI (the admin API at /api, the OAuth callback), mounted before the error handler. */
  mounts?: ReadonlyArray<{ path: string; router: express.RequestHandler; /** Absent: every method and sub-path (`app.use`). */ method?: 'get' }>;
  /** 2026-07-28 requestState keys and connect links (passed on to each modern-era server; mcp/input-required.ts). */
  inputRequests?: InputRequestServices;
  /** More routes (the protected resource metadata), mounted before the error handler. */
  extraRoutes?: (app: express.Express) => void;
  /** One worker of `serve --workers N` (gateway/cluster): its id and how to reach the others. */
  worker?: WorkerRole;
  /** Load shedding for POST /mcp (admission.ts); absent: every request is taken. */
  admission?: Pick<AdmissionOptions, 'maxInFlight' | 'maxInFlightBusy'>;
}

export interface WorkerRole {
  id: string;
  /** Hands a request for another worker's session to it; false when that worker is unknown (gone). */
  forward(ownerId: string, req: Request, res: Response): boolean;
  /** Every worker's metrics together. */
  metrics(): Promise<{ text: string; contentType: string }>;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  path: string;
  lastSeen: number;
  /** The agent that opened it; only the same agent may use it. */
  agentId?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface HttpApp {
  app: express.Express;
  /** What a node HTTP server runs: the admission gate, then the app. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  close: () => Promise<void>;
  sessionCount: () => number;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { registry, log, stateless, worker } = options;
  const app = express();
  app.disable('x-powered-by');
  // DNS rebinding: a web page must not reach a hub on loopback through a name it controls.
  if (options.allowedHosts && options.allowedHosts.length > 0) app.use(hostHeaderValidation(options.allowedHosts));
  else if (LOOPBACK.has(options.host)) app.use(localhostHostValidation());

  app.get('/healthz', (_req, res) => {
    const snapshot = registry.current;
    res.json({
      status: snapshot.failures.length > 0 ? 'degraded' : 'ok',
      version: snapshot.version,
      connectors: [...snapshot.connectors.values()].map((c) => ({ id: c.id, spec: c.specFile, tools: c.tools.length, warnings: c.problems.length })),
      tools: snapshot.tools.length,
      failures: snapshot.failures,
      sessions: sessions.size,
    });
  });

  app.get('/metrics', async (_req, res) => {
    if (worker) {
      const all = await worker.metrics().catch(() => undefined);
      // The primary's sum, or this worker's own when the primary cannot answer.
      if (all) return void res.type(all.contentType).send(all.text);
    }
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  const sessions = new Map<string, Session>();
  const maxRequestBytes = options.maxRequestBytes ?? 16 * 1024 * 1024;
  const json = express.json({ limit: maxRequestBytes });

  // 2026-07-28: one server per request, from what the front door and the URL decided
  // (carried on the request's AuthInfo, which the SDK passes through untouched).
  const modern = createMcpHandler(
    (context) => {
      const decided = context.authInfo?.extra as RequestDecisions | undefined;
      return createMcpServer({
        ...options,
        era: 'modern',
        ...(decided?.view ? { view: decided.view } : {}),
        ...(decided?.principal ? { principal: decided.principal } : {}),
      }).server;
    },
    {
      legacy: 'reject',
      maxRequestBodySize: maxRequestBytes,
      onerror: (error) => log.debug({ err: error.message }, 'MCP 2026-07-28 request refused'),
    },
  );
  const serveModern = toNodeHandler(modern, { maxRequestBodySize: maxRequestBytes });
  const onRegistryChanged = (): void => modern.notify.toolsChanged();
  registry.on('changed', onRegistryChanged);

  // A session id names the worker that holds it, so any worker can send a request there.
  const newSessionId = worker ? () => `${worker.id}.${randomUUID()}` : () => randomUUID();

  const handle = async (req: Request, res: Response): Promise<void> => {
    const connector = typeof req.params.connector === 'string' ? req.params.connector : undefined;
    if (worker) {
      res.setHeader(WORKER_HEADER, worker.id);
      const owner = ownerOf(req.header('mcp-session-id'));
      // Before authenticating: the owner does that, and this worker's work would be wasted.
      if (owner !== undefined && owner !== worker.id && req.header(FORWARDED_HEADER) === undefined && worker.forward(owner, req, res)) return;
    }
    try {
      // Every request, not only initialize: a key revoked mid-session stops working at once.
      const principal = options.authenticate ? await options.authenticate(req, res) : undefined;
      if (options.authenticate && !principal) return;
      if (req.method === 'POST' && !isLegacy(req)) return await handleModern(req, res, connector, principal);
      if (stateless) return await handleStateless(req, res, connector, principal);
      const sessionId = req.header('mcp-session-id');
      if (sessionId !== undefined) {
        const session = sessions.get(sessionId);
        // Another agent's session reads as unknown: a session id alone is not a credential.
        if (!session || session.path !== req.path || session.agentId !== principal?.agentId) return jsonRpcError(res, 404, -32001, 'Session not found');
        session.lastSeen = Date.now();
        return await session.transport.handleRequest(req, res, req.body);
      }
      if (req.method !== 'POST' || !isInitializeRequest(req.body))
        return jsonRpcError(res, 400, -32000, 'Bad Request: no valid session id; start with an initialize request');
      const view = viewFor(req, connector);
      if (view === null) return jsonRpcError(res, 404, -32001, `Unknown connector "${connector}"`);
      const { server, dispose } = createMcpServer({ ...options, view, ...(principal ? { principal } : {}) });
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: newSessionId,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, path: req.path, lastSeen: Date.now(), ...(principal ? { agentId: principal.agentId } : {}) });
          log.debug({ session: id, view: view?.describe }, 'session opened');
        },
      });
      transport.onclose = () => {
        dispose();
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      const hubError = toHubError(error);
      if (hubError.code === 'HUB_ERR_CONFIG_USAGE') return jsonRpcError(res, 400, -32602, hubError.message);
      // The message only: an error's cause may hold request values (tokens in an OAuth failure).
      log.error({ err: hubError.message, code: hubError.code }, 'MCP request failed');
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
    }
  };

  const handleStateless = async (req: Request, res: Response, connector: string | undefined, principal: Principal | undefined): Promise<void> => {
    if (req.method !== 'POST') return jsonRpcError(res, 405, -32000, 'Method not allowed: this hub is stateless (POST only)');
    const view = viewFor(req, connector);
    if (view === null) return jsonRpcError(res, 404, -32001, `Unknown connector "${connector}"`);
    const { server, dispose } = createMcpServer({ ...options, view, ...(principal ? { principal } : {}) });
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      dispose();
      transport.close().catch(() => undefined);
      server.close().catch(() => undefined);
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };

  const handleModern = async (req: Request, res: Response, connector: string | undefined, principal: Principal | undefined): Promise<void> => {
    const view = viewFor(req, connector);
    if (view === null) return jsonRpcError(res, 404, -32001, `Unknown connector "${connector}"`);
    const decided: RequestDecisions = { ...(view ? { view } : {}), ...(principal ? { principal } : {}) };
    const auth: AuthInfo = { token: '', clientId: principal?.agentId ?? 'anonymous', scopes: [], extra: decided as Record<string, unknown> };
    await serveModern(Object.assign(req, { auth }), res, req.body);
  };

  /** null: the connector in the path does not exist. */
  const viewFor = (req: Request, connector: string | undefined): ToolView | null => {
    if (connector !== undefined && !registry.current.connectors.has(connector)) return null;
    const toolsets = typeof req.query.toolsets === 'string' ? req.query.toolsets : undefined;
    const mode = typeof req.query.tools === 'string' ? req.query.tools : options.toolsMode;
    return withToolsMode(parseToolsets(toolsets, connector), mode);
  };

  app.post('/mcp', json, handle);
  app.post('/mcp/:connector', json, handle);
  for (const path of ['/mcp', '/mcp/:connector']) {
    app.get(path, handle);
    app.delete(path, handle);
  }

  for (const mount of options.mounts ?? []) {
    if (mount.method === 'get') app.get(mount.path, mount.router);
    else app.use(mount.path, mount.router);
  }
  options.extraRoutes?.(app);

  // Body-parser and routing errors (broken JSON, a body over the limit, `/mcp/%ZZ`) answer as
  // JSON-RPC errors; express's default page would show the client a stack trace.
  app.use(
    (
      error: { status?: number; statusCode?: number; expose?: boolean; message?: string; type?: string },
      _req: Request,
      res: Response,
      next: (e?: unknown) => void,
    ) => {
      if (res.headersSent) return next(error);
      const status = error.status ?? error.statusCode ?? 500;
      const code = error.type === 'entity.parse.failed' ? -32700 : status < 500 ? -32600 : -32603;
      if (status >= 500) log.error({ err: error.message }, 'HTTP request failed');
      jsonRpcError(res, status, code, status < 500 && error.expose !== false ? (error.message ?? 'Bad request') : 'Internal error');
    },
  );

  const sweep = setInterval(() => {
    const idle = options.sessionIdleMs ?? 30 * 60_000;
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastSeen > idle) {
        log.debug({ session: id }, 'idle session closed');
        session.transport.close().catch(() => undefined);
        sessions.delete(id);
      }
    }
  }, 60_000);
  sweep.unref();

  // Before express, the host check and the body: a refused request costs a fraction of a call.
  const gate = options.admission ? admissionGate({ ...options.admission, onShed: (reason) => options.metrics.shed(reason) }) : undefined;
  const listener = gate
    ? (req: IncomingMessage, res: ServerResponse): void => {
        if (req.method === 'POST' && (req.url === '/mcp' || req.url!.startsWith('/mcp/') || req.url!.startsWith('/mcp?')))
          gate.middleware(req, res, () => app(req, res));
        else app(req, res);
      }
    : (req: IncomingMessage, res: ServerResponse): void => void app(req, res);

  return {
    app,
    listener,
    sessionCount: () => sessions.size,
    close: async () => {
      clearInterval(sweep);
      gate?.close();
      registry.off('changed', onRegistryChanged);
      await modern.close();
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
      sessions.clear();
    },
  };
}

/** What the front door and the URL decided for one 2026-07-28 request. */
interface RequestDecisions {
  view?: ToolView;
  principal?: Principal;
}

/**
 * The SDK's own era test, on what express already parsed: only a request with no
 * 2026-07-28 envelope claim is legacy. Everything else, including the requests the
 * modern path must refuse (a bad envelope, headers that disagree with the body), goes
 * to the modern handler, which owns those answers.
 */
function isLegacy(req: Request): boolean {
  return (
    classifyInboundRequest({
      httpMethod: req.method,
      body: req.body,
      ...optional('protocolVersionHeader', req.header('mcp-protocol-version')),
      ...optional('mcpMethodHeader', req.header('mcp-method')),
      ...optional('mcpNameHeader', req.header('mcp-name')),
    }).kind === 'legacy'
  );
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** `2.3f1c...` was opened by worker 2; a plain UUID (one process) by nobody in particular. */
function ownerOf(sessionId: string | undefined): string | undefined {
  const dot = sessionId?.indexOf('.') ?? -1;
  return dot > 0 ? sessionId!.slice(0, dot) : undefined;
}

function jsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
