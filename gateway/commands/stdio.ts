/** `lunar-hub stdio`: the same tools over MCP stdio, for desktop clients. Logs go to stderr. */
import { parseArgs } from 'node:util';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { createMcpServer } from '../mcp/server';
import { parseToolsets, withToolsMode, type CallFn } from '../core';
import { startHub } from '../hub';
import { type Principal, tenantNamed, DEFAULT_TENANT } from '../../auth';
import type { Tenant } from '../../store';
import { builtInConnectors } from './built-in-connectors';
import { CONFIG_FLAG, settingsOf } from './settings';
import type { CommandIO } from './io';

export async function runStdio(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...CONFIG_FLAG,
      specs: { type: 'string' },
      generated: { type: 'string' },
      connectors: { type: 'string' },
      toolsets: { type: 'string' },
      tools: { type: 'string' },
      data: { type: 'string' },
      tenant: { type: 'string' },
      user: { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      'page-size': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const settings = settingsOf(io, values);
  const pageSize = settings.server.pageSize;
  const view = withToolsMode(parseToolsets(values.toolsets), settings.mcp.tools);
  const hub = await startHub({
    specsDir: settings.specs.dir,
    generatedDir: settings.specs.generated,
    ...builtInConnectors(settings),
    dataDir: settings.data.dir,
    settings,
    logLevel: settings.log.level ?? 'warn',
  });
  // stdio runs as one configured tenant (and optionally one of its users): whoever can start the process is that principal.
  const tenantName = settings.stdio.tenant;
  // What the session may see is known now; the tenant's id comes from the store, which opens on the first call.
  const principal: Principal = {
    tenantId: '',
    tenantName,
    userId: values.user ?? null,
    agentId: 'stdio',
    via: 'stdio',
    toolsets: [],
    readOnly: values['read-only']!,
  };
  let tenant: Promise<Tenant> | undefined;
  const call: CallFn = async (ctx) => {
    tenant ??= hub.services().then((services) => tenantNamed(services.store, tenantName, tenantName === DEFAULT_TENANT));
    tenant.catch(() => (tenant = undefined)); // a tenant created meanwhile is found by the next call
    const { id, callsPerMinute } = await tenant;
    // The audit trail records the principal the pipeline's observe stage sees: its tenant id must be the row's, never the placeholder above.
    return hub.call({ ...ctx, principal: { ...principal, tenantId: id, quota: { tenantPerMinute: callsPerMinute } } });
  };
  // The opening message picks the era (initialize: 2025-11-25; server/discover or an
  // envelope: 2026-07-28) and the SDK pins one server from this factory to the connection.
  const disposers: Array<() => void> = [];
  const transport = new StdioServerTransport();
  // The SDK owns the transport (and its onclose): the end of stdin or a signal ends the connection.
  const closed = new Promise<void>((resolve) => {
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const connection = serveStdio(
    ({ era }) => {
      const { server, dispose } = createMcpServer({ registry: hub.registry, call, log: hub.log, pageSize, view, principal, era });
      disposers.push(dispose);
      return server;
    },
    { transport, onerror: (error) => hub.log.debug({ err: error.message }, 'stdio message refused') },
  );
  await closed;
  for (const dispose of disposers) dispose();
  await connection.close().catch(() => undefined);
  await hub.close();
  return 0;
}
