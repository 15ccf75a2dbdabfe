import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.join(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'lunar-hub.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real binary (built dist/) as a user would, with no terminal attached. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, CI: 'true', LUNAR_PROGRESS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // A command that hangs is killed in the end, so that no process (and
    // none of a `serve`'s workers, which go with their primary) outlives the test run.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A scratch folder inside the repository (ignored by git), so generated TypeScript
 * resolves `undici` and `typescript` from the project's node_modules.
 */
export function scratchDir(prefix: string): string {
  const base = path.join(REPO, '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, `${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}

const scratchDirs: string[] = [];

/** Removes every scratch folder this test file made; call from afterAll. */
export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
