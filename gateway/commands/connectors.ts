/**
 * `lunar-hub connectors list [--json]` (and `connectors add`, connectors-add.ts): every connector this hub can serve, built-in or a
 * spec in the specs folder, with what an agent or an admin needs to know of it: whether
 * it is on, its toolsets and default set, how many tools it serves, and which kinds of
 * connection feed its credentials.
 */
import { parseArgs } from 'node:util';
import { kindsFor } from '../../auth';
import { errors } from '../../errors';
import type { ServedConnector } from '../core';
import { loadAllConnectors } from './all-connectors';
import { writeLine, type CommandIO } from './io';
import { CONFIG_FLAG, settingsOf } from './settings';
import { connectorsUsage } from './usage';

export interface ConnectorListing {
  id: string;
  source: 'builtin' | 'spec';
  enabled: boolean;
  toolsets: string[];
  defaultToolsets: string[];
  tools: number;
  auth: string[];
}

export async function runConnectors(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, specs: { type: 'string' }, connectors: { type: 'string' }, id: { type: 'string' }, ...CONFIG_FLAG },
  });
  const settings = settingsOf(io, { specs: values.specs, connectors: values.connectors, config: values.config });
  if (positionals[0] === 'add' && positionals.length === 2) {
    const { addConnector } = require('./connectors-add') as typeof import('./connectors-add');
    return addConnector(positionals[1], { specsDir: settings.specs.dir, ...(values.id ? { id: values.id } : {}) }, io);
  }
  if (positionals[0] !== 'list' || positionals.length !== 1) throw errors.CONFIG_USAGE([`usage: ${connectorsUsage}`]);
  const { registry, enabled } = await loadAllConnectors(settings);
  try {
    const snapshot = registry.current;
    const listing = [...snapshot.connectors.values()].map((c) => listingOf(c, enabled)).sort((a, b) => a.id.localeCompare(b.id));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(listing)}\n`);
    } else {
      for (const c of listing) {
        const sets = c.toolsets.length > 0 ? `toolsets ${c.toolsets.map((t) => (c.defaultToolsets.includes(t) ? `${t}*` : t)).join(', ')}` : 'no toolsets';
        writeLine(
          io.stdout,
          `${c.id.padEnd(24)} ${c.source.padEnd(7)} ${(c.enabled ? 'on' : 'off').padEnd(3)} ${String(c.tools).padStart(5)} tools  ${sets}  auth: ${c.auth.join(', ') || 'none'}`,
        );
      }
      writeLine(io.stdout, `${listing.length} connectors (* marks the default toolsets; turn a built-in on with --connectors ID or \`use: ID\` in specs/)`);
    }
    // What could not be loaded goes to stderr, so that stdout stays the list.
    for (const failure of snapshot.failures) writeLine(io.stderr, `lunar-hub: not loaded: ${failure.file}: ${failure.message}`);
    return 0;
  } finally {
    await registry.close();
  }
}

function listingOf(c: ServedConnector, enabled: ReadonlySet<string>): ConnectorListing {
  const builtIn = c.builtIn !== undefined;
  return {
    id: c.id,
    source: builtIn ? 'builtin' : 'spec',
    // A built-in is on when the settings enable it, or a file in specs/ uses it.
    enabled: !builtIn || enabled.has(c.id) || c.source === 'specs',
    toolsets: [...(c.toolsets?.names ?? [])],
    defaultToolsets: [...(c.toolsets?.defaults ?? [])],
    tools: c.tools.length,
    auth: c.runtime.auth ? kindsFor(c.runtime.auth.scheme) : [],
  };
}
