import path from 'node:path';

/** `--data`, else LUNAR_DATA_DIR, else ./data (DESIGN.md "Interfaces"). */
export function dataDirOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(flag ?? env.LUNAR_DATA_DIR ?? 'data');
}
