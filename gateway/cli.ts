/**
 * `lunar-hub`: one binary, one verb per job (DESIGN.md "Interfaces"). Exit codes:
 * 0 done, 1 the input has errors (or a command failed), 2 the command line is wrong.
 */
import { isHubError, toHubError } from '../errors';
import { runGenerate, generateUsage } from './commands/generate';
import { runServe, serveUsage } from './commands/serve';
import { runStdio, stdioUsage } from './commands/stdio';
import type { CommandIO } from './commands/io';
import { runTools, toolsUsage } from './commands/tools';
import { runValidate, validateUsage } from './commands/validate';
import { adminUsage, runAdmins, runAudit, runConnections, runKeys, runOAuthApps, runRotateKey, runTenants } from './commands/admin-verbs';

const COMMANDS: Record<string, (argv: string[], io: CommandIO) => Promise<number>> = {
  serve: runServe,
  stdio: runStdio,
  tools: runTools,
  validate: runValidate,
  generate: runGenerate,
  tenants: runTenants,
  admins: runAdmins,
  keys: runKeys,
  connections: runConnections,
  'oauth-apps': runOAuthApps,
  audit: runAudit,
  'rotate-key': runRotateKey,
};

const USAGE = `usage:
  ${serveUsage}
  ${stdioUsage}
  ${toolsUsage}
  ${validateUsage}
  ${generateUsage}
  ${adminUsage}`;

export async function main(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (cause) {
    // parseArgs throws plain TypeErrors with codes ERR_PARSE_ARGS_*: a usage problem.
    const code = (cause as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${(cause as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const error = toHubError(cause);
    io.stderr.write(`error ${error.code}: ${error.message}\n`);
    if (error.code === 'HUB_ERR_INTERNAL' && io.env.LUNAR_DEBUG) io.stderr.write(`${(cause as Error).stack}\n`);
    return isHubError(cause) && error.code === 'HUB_ERR_CONFIG_USAGE' ? 2 : 1;
  }
}
