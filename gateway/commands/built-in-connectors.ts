/** The built-in connectors `serve` and `stdio` serve, from the settings (docs/connectors.md "Built-in connectors"). */
import path from 'node:path';
import type { Settings } from '../config';
import type { HubOptions } from '../hub';
import { PACKAGE_ROOT } from '../package-info';

export function builtInConnectors(settings: Settings): Pick<HubOptions, 'connectors'> {
  const enabled = settings.connectors.enabled ?? [];
  if (enabled.length === 0) return {};
  return { connectors: { dir: settings.connectors.dir ?? path.join(PACKAGE_ROOT, 'connectors'), enabled } };
}
