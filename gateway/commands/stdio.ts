/** `lunar-hub stdio`: the same tools over MCP stdio, for desktop clients. Logs go to stderr. */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { errors } from '../../errors';
import { createMcpServer } from '../mcp/server';
import { parseToolsets } from '../core';
import { startHub } from '../hub';
import type { Principal } from '../../auth/principal';
import type { Tenant } from '../../store';
import type { CallFn } from '../core';
import { tenantNamed } from '../../auth/tenant-named';
import { DEFAULT_TENANT } from '../../auth/principal';
import { dataDirOf } from './data-dir';
import type { CommandIO } from './io';

export const stdioUsage = 'lunar-hub stdio [--specs DIR] [--generated DIR] [--data DIR] [--tenant NAME] [--user ID] [--toolsets LIST] [--read-only] [--page-size N] [--log-level LEVEL]';

export async function runStdio(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      specs: { type: 'string', default: 'specs' },
      generated: { type: 'string' },
      toolsets: { type: 'string' },
      data: { type: 'string' },
      tenant: { type: 'string' },
      user: { type: 'string' },
      'read-only': { type: 'boolean', default: false },
      'page-size': { type: 'string', default: '500' },
      'log-level': { type: 'string' },
    },
  });
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1) throw errors.CONFIG_USAGE([`--page-size must be a positive integer (got "${values['page-size']}")`]);
  const view = parseToolsets(values.toolsets);
  const hub = await startHub({ specsDir: values.specs!, generatedDir: values.generated, dataDir: dataDirOf(values.data, io.env), env: io.env, logLevel: values['log-level'] ?? io.env.LOG_LEVEL ?? 'warn' });
  // stdio runs as one configured tenant (and optionally one of its users): whoever can start the process is that principal.
  const tenantName = values.tenant ?? io.env.LUNAR_TENANT ?? DEFAULT_TENANT;
  // What the session may see is known now; the tenant's id comes from the store, which opens on the first call.
  const principal: Principal = { tenantId: '', tenantName, userId: values.user ?? null, agentId: 'stdio', via: 'stdio', toolsets: [], readOnly: values['read-only']! };
  let tenant: Promise<Tenant> | undefined;
  const call: CallFn = async (ctx) => {
    tenant ??= hub.services().then((services) => tenantNamed(services.store, tenantName, tenantName === DEFAULT_TENANT));
    tenant.catch(() => (tenant = undefined)); // a tenant created meanwhile is found by the next call
    const { id, callsPerMinute } = await tenant;
    // The audit trail records the principal the pipeline's observe stage sees: its tenant id must be the row's, never the placeholder above.
    return hub.call({ ...ctx, principal: { ...principal, tenantId: id, quota: { tenantPerMinute: callsPerMinute } } });
  };
  const { server, dispose } = createMcpServer({ registry: hub.registry, call, log: hub.log, pageSize, view, principal });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  await closed;
  dispose();
  await server.close().catch(() => undefined);
  await hub.close();
  return 0;
}
