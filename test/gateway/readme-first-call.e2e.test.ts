/**
 * The README's first tool call, run as written (issue 15): the demo upstream, `serve`
 * with the README's flags, and the README's curl request (its headers and body) sent to
 * the hub. Only the hub's port is chosen free (PORT=0), so that a hub already on 8787
 * does not fail the suite; the demo keeps the 4010 that specs/petstore.yaml names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { removeScratchDirs, REPO, scratchDir } from '../helpers/cli';
import { BIN, freshDataDir, startServe, type ServedHub } from '../helpers/hub-process';

const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
const block = /<!-- first-call:start -->\n```sh\n([\s\S]*?)```\n<!-- first-call:end -->/.exec(readme)![1];
const [demoLine, serveLine, curlLine] = block
  .trim()
  .split('\n')
  .map((line) => line.replace(/\s+#.*$/, ''));
const argsOf = (line: string, prefix: string) => {
  expect(line.startsWith(prefix)).toBe(true);
  return line.slice(prefix.length).split(/\s+/).filter(Boolean);
};

let demo: ChildProcess;
let hub: ServedHub;

beforeAll(async () => {
  demo = spawn(process.execPath, [BIN, ...argsOf(demoLine, 'npx lunar-hub ')], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    demo.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('http://127.0.0.1:4010')) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`lunar-hub demo exited with ${code} (is 127.0.0.1:4010 taken?):\n${stderr}`)));
  });
  const serveArgs = argsOf(serveLine, 'npx lunar-hub serve ');
  // The README's ./specs is the example the hub ships: a copy of it, never the user's own folder.
  const specs = scratchDir('readme-specs');
  for (const file of ['petstore.yaml', 'petstore.connector.yaml']) copyFileSync(path.join(REPO, 'specs', file), path.join(specs, file));
  hub = await startServe(
    ['--data', freshDataDir(), '--specs', specs, ...serveArgs.filter((a) => a !== '--no-auth')],
    {},
    { auth: !serveArgs.includes('--no-auth') },
  );
}, 60_000);

afterAll(async () => {
  await hub?.stop();
  demo?.kill('SIGTERM');
  removeScratchDirs();
});

it("the README's curl calls petstore_list_pets through the hub and gets the two newest pets", async () => {
  expect(curlLine).toMatch(/^curl -s http:\/\/127\.0\.0\.1:8787\/mcp /);
  const headers = Object.fromEntries([...curlLine.matchAll(/-H '([^:]+): ([^']+)'/g)].map((m) => [m[1], m[2]]));
  const body = /-d '([^']+)'/.exec(curlLine)![1];
  const response = await request(hub.mcpUrl, { method: 'POST', headers, body });
  expect(response.statusCode).toBe(200);
  const text = await response.body.text();
  const message = JSON.parse(/^data: (.*)$/m.exec(text)![1]) as { result: { isError?: boolean; structuredContent: { items: Array<{ name: string }> } } };
  expect(message.result.isError).toBeFalsy();
  expect(message.result.structuredContent.items.map((p) => p.name)).toEqual(['Nemo', 'Tom']);
  // the answer the README shows is this one
  expect(readme).toContain(text.trim().split('\n')[1]);
});
