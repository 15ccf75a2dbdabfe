/**
 * Where the hub's package lives and its version, found the same way from dist/ (run)
 * and from the TypeScript sources (tests): the nearest folder with a package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function findPackageRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return __dirname;
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();

export const HUB_VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
