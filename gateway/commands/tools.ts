/** `lunar-hub tools SPEC [--json]`: the MCP tool definitions a spec yields. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateTools, readSpecFile } from '../../generators';
import { errors } from '../../errors';
import { writeLine, type CommandIO } from './io';
import { GENERATION_FLAGS, generationOptions } from './spec-options';
import { toolsUsage } from './usage';

export async function runTools(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, ...GENERATION_FLAGS } });
  if (positionals.length !== 1) throw errors.CONFIG_USAGE([`usage: ${toolsUsage}`]);
  const file = path.resolve(io.cwd, positionals[0]);
  const spec = await readSpecFile(displayPath(io.cwd, file));
  const set = generateTools(spec, generationOptions(values));
  const warnings = set.problems.filter((p) => p.severity === 'warning').length;
  const summary = `${set.tools.length} tools from ${spec.file} (${set.api.title} ${set.api.version}); ${set.skipped.length} operations skipped; ${warnings} warnings (lunar-hub validate lists them)`;
  if (values.json) {
    // stdout carries the JSON array and nothing else; people read stderr.
    io.stdout.write(JSON.stringify(set.tools) + '\n');
    writeLine(io.stderr, summary);
    return 0;
  }
  const opByKey = new Map(set.operations.map((op) => [op.key, op]));
  const width = Math.min(64, Math.max(...set.tools.map((t) => t.name.length), 4));
  set.bindings.forEach((binding, i) => {
    const op = opByKey.get(binding.operation)!;
    writeLine(io.stdout, `${binding.tool.padEnd(width)}  ${`${op.method.toUpperCase()} ${op.path}`.padEnd(48)}  ${set.tools[i].title ?? ''}`);
  });
  for (const skipped of set.skipped) writeLine(io.stdout, `skipped ${skipped.operation}: ${skipped.reason}`);
  writeLine(io.stdout, summary);
  return 0;
}

/** Problems name the file as the user wrote it (relative to where they stand). */
export function displayPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
