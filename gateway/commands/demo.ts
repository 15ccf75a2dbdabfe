/** `lunar-hub demo`: the bundled example's upstream (specs/petstore.yaml) on 127.0.0.1:4010, until stopped. */
import { parseArgs } from 'node:util';
import { errors } from '../../errors';
import { writeLine, type CommandIO } from './io';

export async function runDemo(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '4010' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw errors.CONFIG_USAGE([`--port must be a whole number from 0 to 65535 (got "${values.port}")`]);
  const { startPetstore } = require('../demo/petstore-upstream') as typeof import('../demo/petstore-upstream');
  let demo;
  try {
    demo = await startPetstore(port);
  } catch (cause) {
    throw errors.CONFIG_USAGE([`cannot listen on 127.0.0.1:${port}: ${(cause as Error).message}`], { cause });
  }
  writeLine(io.stderr, `lunar-hub demo: the pet shop of specs/petstore.yaml is at ${demo.url} (stop with Ctrl-C)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await demo.close();
  return 0;
}
