/** `lunar-hub stdio`: the same tools over MCP stdio, for desktop clients. Logs go to stderr. */
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { errors } from '../../errors';
import { createMcpServer } from '../mcp/server';
import { parseToolsets } from '../mcp/tool-view';
import { startHub } from '../hub';
import type { CommandIO } from './io';

export const stdioUsage = 'lunar-hub stdio [--specs DIR] [--generated DIR] [--toolsets LIST] [--page-size N] [--log-level LEVEL]';

export async function runStdio(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      specs: { type: 'string', default: 'specs' },
      generated: { type: 'string' },
      toolsets: { type: 'string' },
      'page-size': { type: 'string', default: '500' },
      'log-level': { type: 'string' },
    },
  });
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1) throw errors.CONFIG_USAGE([`--page-size must be a positive integer (got "${values['page-size']}")`]);
  const view = parseToolsets(values.toolsets);
  const hub = await startHub({ specsDir: values.specs!, generatedDir: values.generated, logLevel: values['log-level'] ?? io.env.LOG_LEVEL ?? 'warn' });
  const { server, dispose } = createMcpServer({ registry: hub.registry, call: hub.call, log: hub.log, pageSize, view });
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
