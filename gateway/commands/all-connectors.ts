/**
 * Every connector this hub could serve with its settings: the specs folder's, and every
 * built-in connector, enabled or not. Admin commands check a new connection against it
 * (a connection made first is ready when the built-in is turned on); `connectors list`
 * shows it.
 */
import { readdir } from 'node:fs/promises';
import type { Settings } from '../config';
import type { Registry } from '../registry/registry';
import { builtInConnectors } from './built-in-connectors';

export async function loadAllConnectors(settings: Settings): Promise<{ registry: Registry; enabled: ReadonlySet<string> }> {
  const { Registry } = require('../registry/registry') as typeof import('../registry/registry');
  const { createLogger } = require('../logger') as typeof import('../logger');
  const { dir, enabled } = builtInConnectors(settings).connectors!;
  const all = await readdir(dir, { withFileTypes: true }).then(
    (entries) => entries.filter((e) => e.isDirectory()).map((e) => e.name),
    () => [] as string[],
  );
  const registry = new Registry({ specsDir: settings.specs.dir, log: createLogger('error'), connectors: { dir, enabled: all }, builtInDir: dir });
  await registry.start();
  return { registry, enabled: new Set(enabled) };
}
