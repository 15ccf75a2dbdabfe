/** `lunar-hub serve` / `stdio` as real processes, the way users and CI run them. */
import { stopChild } from './child-process';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './cli';

/** A fresh data dir (store + master key) for one hub process. */
export function freshDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'hub-data-'));
}

export const BIN = path.join(REPO, 'bin', 'lunar-hub.js');

export interface ServedHub {
  url: string;
  mcpUrl: string;
  process: ChildProcess;
  /** Everything the process wrote on stderr so far (its JSON logs). */
  stderr(): string;
  /** Resolves when stderr matches (logs are written asynchronously); rejects after `ms`. */
  waitForStderr(pattern: RegExp, ms?: number): Promise<void>;
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  /** Require hub API keys on /mcp (the default of `serve`); otherwise the test hub runs with --no-auth. */
  auth?: boolean;
}

export async function startServe(args: string[], env: Record<string, string> = {}, options: ServeOptions = {}): Promise<ServedHub> {
  const extra = [...(args.includes('--data') ? [] : ['--data', freshDataDir()]), ...(options.auth ? [] : ['--no-auth'])];
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...extra, ...args], {
    cwd: REPO,
    // One process unless a test asks for workers: most suites test one hub, and N of them per test would slow the suite.
    // Bursts of calls are not shed unless a test asks (overload.e2e): on a loaded CI machine
    // a hub's event loop is often saturated, and a burst of 40 would meet the busy limit.
    env: { ...process.env, CI: 'true', LOG_LEVEL: 'debug', LUNAR_WORKERS: '1', LUNAR_MAX_IN_FLIGHT_BUSY: '100000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // no orphan hub left behind a failed start
      reject(new Error(`serve did not start in 60 s:\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /serving \d+ tools at (http:\/\/[^\s]+)\/mcp/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url,
    mcpUrl: `${url}/mcp`,
    process: child,
    stderr: () => stderr,
    waitForStderr: async (pattern, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    // A hub that ignores SIGTERM must not hang the suite: killed after 15 s (and the test sees null).
    stop: () => stopChild(child, 15_000),
  };
}
