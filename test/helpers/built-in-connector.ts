/**
 * A built-in connector served as a user turns it on: `specs/<id>.connector.yaml` with the
 * text given (`use: <id>` and a loopback base URL), a bearer connection for the default
 * tenant made with the CLI, and `lunar-hub serve` on a fresh data folder.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, scratchDir } from './cli';
import { freshDataDir, startServe, type ServedHub } from './hub-process';

export async function serveBuiltIn(id: string, connectorFile: string, token: string): Promise<{ hub: ServedHub; specs: string; data: string }> {
  const specs = scratchDir(`${id}-specs`);
  writeFileSync(path.join(specs, `${id}.connector.yaml`), connectorFile);
  const data = freshDataDir();
  const args = ['connections', 'add', '--tenant', 'default', '--connector', id, '--kind', 'bearer', '--secret-env', 'SECRET', '--specs', specs, '--data', data];
  const added = await runCli(args, { env: { SECRET: token } });
  if (added.code !== 0) throw new Error(`lunar-hub ${args.join(' ')} exited ${added.code}: ${added.stderr}`);
  return { hub: await startServe(['--specs', specs, '--data', data]), specs, data };
}
