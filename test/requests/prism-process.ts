/** Stoplight Prism (`prism mock`) as a real process on 127.0.0.1: the independent judge of requests. */
import { stopChild } from '../helpers/child-process';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const PRISM_CLI = require.resolve('@stoplight/prism-cli/dist/index.js');
/** Prism's log is kept only for failure messages; its tail is enough. */
const LOG_TAIL = 64 * 1024;

export interface PrismMock {
  url: string;
  port: number;
  process: ChildProcess;
  /** The last part of what Prism printed (its request log and violations). */
  log(): string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (Prism takes a port number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `prism mock -h 127.0.0.1 -p PORT SPEC` with static examples (no `-d`) and waits
 * for "Prism is listening". Retries on another port if the chosen one was taken meanwhile.
 */
export async function startPrism(spec: string, timeoutMs = 120_000): Promise<PrismMock> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(spec, port, timeoutMs);
    } catch (error) {
      lastError = error as Error;
      if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

function launch(spec: string, port: number, timeoutMs: number): Promise<PrismMock> {
  const child = spawn(process.execPath, [PRISM_CLI, 'mock', '-h', '127.0.0.1', '-p', String(port), spec], {
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > 2 * LOG_TAIL) log = log.slice(-LOG_TAIL);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const stop = async () => {
    await stopChild(child);
  };
  return new Promise<PrismMock>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`Prism did not start in ${timeoutMs} ms on ${spec}:\n${log.slice(-4000)}`));
    }, timeoutMs);
    const onData = () => {
      if (!/Prism is listening on http:\/\/127\.0\.0\.1:\d+/.test(log)) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      resolve({ url: `http://127.0.0.1:${port}`, port, process: child, log: () => log.slice(-LOG_TAIL), stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited (${code ?? signal}) before listening on ${spec}:\n${log.slice(-4000)}`));
    });
  });
}
