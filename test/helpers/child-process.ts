/** Stopping a child process a test started: SIGTERM, then SIGKILL after a grace period so a stuck child cannot hang the suite. */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the exit code (null when it had to be killed or died by a signal). */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}
