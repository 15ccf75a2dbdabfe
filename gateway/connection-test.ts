/**
 * `lunar-hub connections test` and POST /api/connections/:id/test: does this connection
 * work? Its secret must open, an OAuth token is renewed if it expires soon, and then one
 * real request goes upstream with it: the connector's first read-only GET that needs no
 * arguments (the shortest path, such as GET /user), through the same build, credentials
 * and send stages as a tool call. No such operation: the first two checks are the test.
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { Connection } from '../store';
import { operationNeedsCredentials, type UpstreamAuth } from '../auth';
import { toHubError } from '../errors';
import type { CallContext, HttpOperationTool, RegisteredTool } from './core';
import type { ExchangeStage } from './upstream/exchange';
import type { Registry } from './registry/registry';
import type { HubServices } from './services';

export interface ConnectionTestReport {
  ok: boolean;
  connection: string;
  connector: string;
  /** The tool whose operation was called, when there was one to call. */
  tool?: string;
  status?: number;
  detail: string;
}

/**
 * `stages`: the running hub's breaker and limiter (UpstreamStages.probeStages), so a test
 * waits its turn like the connection's calls; the CLI, a process of its own, has none.
 */
export async function testConnection(
  services: HubServices,
  registry: Registry,
  log: Logger,
  connection: Connection,
  stages: readonly ExchangeStage[] = [],
): Promise<ConnectionTestReport> {
  const base = { connection: connection.id, connector: connection.connectorId };
  const snapshot = registry.current;
  const connector = snapshot.connectors.get(connection.connectorId);
  if (!connector) return { ...base, ok: false, detail: `connector ${connection.connectorId} is not served by this hub (no spec for it in the specs folder)` };
  const auth = connector.runtime.auth;
  if (!auth) return { ...base, ok: false, detail: `connector ${connection.connectorId} declares no authentication; its calls do not use connections` };
  let credential;
  try {
    credential = await services.credentials.forConnection(connection, auth.scheme);
  } catch (error) {
    const hubError = toHubError(error);
    return { ...base, ok: false, detail: `${hubError.code}: ${hubError.message}` };
  }
  const probe = probeTool(connector.tools, auth);
  if (!probe)
    return { ...base, ok: true, detail: 'the secret opens (and any OAuth token is fresh); the connector has no read-only GET without arguments to try it on' };
  const { composeExchange } = require('./upstream/exchange') as typeof import('./upstream/exchange');
  const { createUndiciExchange } = require('./upstream/undici-exchange') as typeof import('./upstream/undici-exchange');
  const { createRequestBuilder } = require('./pipeline/build-request') as typeof import('./pipeline/build-request');
  const { createOutputConformer } = require('./pipeline/conform-output') as typeof import('./pipeline/conform-output');
  const { httpToolKind } = require('./pipeline/http-tool') as typeof import('./pipeline/http-tool');
  // The credentials stage asks for "the connection this call uses": here, always the one under test.
  const fixed = { forCall: async () => credential, refresh: services.credentials.refresh.bind(services.credentials) };
  // A pool of its own for one request, closed when the test is done: a test is rare, and
  // so neither the CLI nor the hub has pools to close for it afterwards.
  const undici = createUndiciExchange();
  // The HTTP kind's own stages, without the generic ones: a test is not a tool call of an agent.
  const run = httpToolKind.createInvoker({
    credentials: fixed,
    exchange: composeExchange(stages, undici.exchange),
    requests: createRequestBuilder(),
    output: createOutputConformer(),
  });
  const ctx: CallContext = {
    callId: randomUUID(),
    toolName: probe.tool.name,
    args: {},
    // Its turn at the limiter (up to maxWaitMs), then the upstream's answer.
    signal: AbortSignal.timeout(connector.runtime.timeouts.headersMs + (connector.runtime.policy?.rateLimit.maxWaitMs ?? 0)),
    snapshot,
    progress: () => undefined,
    log: log.child({ test: connection.id }),
    principal: {
      tenantId: connection.tenantId,
      tenantName: '',
      userId: connection.userId,
      agentId: 'connection-test',
      via: 'stdio',
      toolsets: [],
      readOnly: true,
    },
    entry: 'connection-test',
    registered: probe,
    facts: {},
  };
  let result: CallToolResult;
  try {
    result = await run(ctx);
  } catch (error) {
    const hubError = toHubError(error);
    return { ...base, ok: false, tool: probe.tool.name, detail: `${hubError.code}: ${hubError.message}` };
  } finally {
    await undici.close();
  }
  const text = result.content
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join(' ')
    .slice(0, 300);
  const status = ctx.facts.upstreamStatus;
  return {
    ...base,
    ok: !result.isError,
    tool: probe.tool.name,
    ...(status !== undefined ? { status } : {}),
    detail: result.isError ? text : `${probe.operation.key} answered ${status}`,
  };
}

/** The connector's read-only GET with no required argument that carries credentials, shortest path first. */
function probeTool(tools: readonly RegisteredTool[], auth: UpstreamAuth): HttpOperationTool | undefined {
  const candidates = tools.filter(
    (t): t is HttpOperationTool =>
      t.kind === 'http' &&
      t.operation.method.toUpperCase() === 'GET' &&
      operationNeedsCredentials(auth, t.operation.security) &&
      ((t.tool.inputSchema as { required?: unknown[] }).required ?? []).length === 0,
  );
  return candidates.sort(
    (a, b) => a.operation.path.split('/').length - b.operation.path.split('/').length || a.operation.path.localeCompare(b.operation.path),
  )[0];
}
