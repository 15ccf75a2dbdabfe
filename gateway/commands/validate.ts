/** `lunar-hub validate SPEC`: every problem with file and JSON pointer; exit 1 on errors. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateTools, formatProblem, type Problem, readSpecFile, validateSpecDocument } from '../../generators';
import { errors, isHubError } from '../../errors';
import { writeLine, type CommandIO } from './io';
import { displayPath } from './tools';
import { validateUsage } from './usage';

export async function runValidate(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw errors.CONFIG_USAGE([`usage: ${validateUsage}`]);
  const spec = await readSpecFile(displayPath(io.cwd, path.resolve(io.cwd, positionals[0])));
  const schemaProblems = await validateSpecDocument(spec);
  // Generation finds what the schemas cannot: unusable parameters, bad regexes, dangling refs...
  const set = generateTools(spec, { connectorId: 'validate' });
  const problems: Problem[] = [...schemaProblems, ...set.problems, ...(await connectorFileProblems(spec.file))];
  const errorCount = problems.filter((p) => p.severity === 'error').length;
  const warningCount = problems.length - errorCount;
  if (values.json) {
    io.stdout.write(JSON.stringify({ file: spec.file, valid: errorCount === 0, errors: errorCount, warnings: warningCount, problems }) + '\n');
  } else {
    for (const problem of problems) writeLine(io.stdout, formatProblem(problem));
    writeLine(io.stdout, `${spec.file}: ${errorCount} errors, ${warningCount} warnings; ${set.tools.length} tools can be served`);
  }
  return errorCount > 0 ? 1 : 0;
}

/**
 * The connector file beside the spec, applied as `serve` would: each of its errors (an
 * unknown operation or tag, a toolset naming one, a bad key) and warnings, under its own
 * file name.
 */
async function connectorFileProblems(specFile: string): Promise<Problem[]> {
  const { findConnectorConfig, loadConnector } = require('../registry/load-connector') as typeof import('../registry/load-connector');
  try {
    // Without a connector file there is nothing of it to check (a spec with no server is the spec's business).
    if ((await findConnectorConfig(specFile)).configFile === undefined) return [];
    const connector = await loadConnector(specFile);
    return connector.problems.filter((p) => p.rule.startsWith('connector-'));
  } catch (error) {
    if (!isHubError(error) || error.code !== 'HUB_ERR_CONFIG_CONNECTOR') return [];
    const { file, problems } = error.details as { file: string; problems: string[] };
    return problems.map((message) => ({ severity: 'error' as const, rule: 'connector-file', file, pointer: '', message }));
  }
}
