/**
 * `lunar-hub`: one binary, one verb per job (DESIGN.md "Interfaces"). Exit codes:
 * 0 done, 1 the input has errors (or a command failed), 2 the command line is wrong.
 * `--help`/`-h` anywhere before `--` prints the command's usage; `--version` the package's.
 */
import { isHubError, toHubError } from '../errors';
import { settingFromEnv } from './config';
import { HUB_VERSION } from './package-info';
import type { CommandIO } from './commands/io';
import { adminUsage, configUsage, connectorsUsage, demoUsage, generateUsage, serveUsage, stdioUsage, toolsUsage, validateUsage } from './commands/usage';

type Run = (argv: string[], io: CommandIO) => Promise<number>;
type Commands = typeof import('./commands/serve') &
  typeof import('./commands/stdio') &
  typeof import('./commands/tools') &
  typeof import('./commands/validate') &
  typeof import('./commands/generate') &
  typeof import('./commands/admin-verbs') &
  typeof import('./commands/config') &
  typeof import('./commands/connectors') &
  typeof import('./commands/demo');

/** Each verb's module is loaded when that verb runs: `stdio` pays for neither express nor the admin use-cases. */
const lazy =
  <K extends keyof Commands>(file: string, name: K): (() => Run) =>
  () =>
    (require(file) as Commands)[name] as unknown as Run;

const COMMANDS: Record<string, () => Run> = {
  serve: lazy('./commands/serve', 'runServe'),
  stdio: lazy('./commands/stdio', 'runStdio'),
  tools: lazy('./commands/tools', 'runTools'),
  validate: lazy('./commands/validate', 'runValidate'),
  generate: lazy('./commands/generate', 'runGenerate'),
  tenants: lazy('./commands/admin-verbs', 'runTenants'),
  admins: lazy('./commands/admin-verbs', 'runAdmins'),
  keys: lazy('./commands/admin-verbs', 'runKeys'),
  connections: lazy('./commands/admin-verbs', 'runConnections'),
  'oauth-apps': lazy('./commands/admin-verbs', 'runOAuthApps'),
  audit: lazy('./commands/admin-verbs', 'runAudit'),
  'rotate-key': lazy('./commands/admin-verbs', 'runRotateKey'),
  config: lazy('./commands/config', 'runConfig'),
  connectors: lazy('./commands/connectors', 'runConnectors'),
  demo: lazy('./commands/demo', 'runDemo'),
};

const USAGE = `usage:
  ${serveUsage}
  ${stdioUsage}
  ${toolsUsage}
  ${validateUsage}
  ${generateUsage}
  ${configUsage}
  ${connectorsUsage}
  ${demoUsage}
  ${adminUsage}
  lunar-hub COMMAND --help | lunar-hub --version`;

const SINGLE_USAGE: Record<string, string> = {
  serve: serveUsage,
  stdio: stdioUsage,
  tools: toolsUsage,
  validate: validateUsage,
  generate: generateUsage,
  config: configUsage,
  connectors: connectorsUsage,
  demo: demoUsage,
};

function usageOf(command: string): string {
  const lines =
    SINGLE_USAGE[command] ??
    adminUsage
      .split('\n  ')
      .filter((line) => line.startsWith(`lunar-hub ${command} `))
      .join('\n  ');
  return `usage:\n  ${lines}`;
}

function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

export async function main(
  argv: string[],
  io: CommandIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === '--version') {
    io.stdout.write(`${HUB_VERSION}\n`);
    return 0;
  }
  const helpFor = command === 'help' ? rest[0] : command;
  if (command === '--help' || command === '-h' || (command === 'help' && (helpFor === undefined || !COMMANDS[helpFor]))) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const run = COMMANDS[command === 'help' ? helpFor! : command];
  if (!run) {
    io.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  if (command === 'help' || asksForHelp(rest)) {
    io.stdout.write(`${usageOf(helpFor!)}\n`);
    return 0;
  }
  try {
    return await run()(rest, io);
  } catch (cause) {
    // parseArgs throws plain TypeErrors with codes ERR_PARSE_ARGS_*: a usage problem.
    const code = (cause as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${(cause as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const error = toHubError(cause);
    io.stderr.write(`error ${error.code}: ${error.message}\n`);
    if (error.code === 'HUB_ERR_INTERNAL' && settingFromEnv(io.env, 'cli.debug') === true) io.stderr.write(`${(cause as Error).stack}\n`);
    // Settings wrong only in flags are a wrong command line; in a file or the environment, wrong input.
    const usage = error.code === 'HUB_ERR_CONFIG_USAGE' || (error.code === 'HUB_ERR_CONFIG_SETTINGS' && error.details.usage === true);
    return isHubError(cause) && usage ? 2 : 1;
  }
}
