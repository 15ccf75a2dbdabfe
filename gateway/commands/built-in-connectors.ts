/** The built-in connectors `serve` and `stdio` serve, and where they are, from the settings (docs/connectors.md "Built-in connectors"). */
import path from 'node:path';
import type { Settings } from '../config';
import type { HubOptions } from '../hub';
import { PACKAGE_ROOT } from '../package-info';

/** Always the folder, so that a connector file in specs/ can `use:` a built-in that is not enabled. */
export function builtInConnectors(settings: Settings): Pick<HubOptions, 'connectors'> {
  return { connectors: { dir: settings.connectors.dir ?? path.join(PACKAGE_ROOT, 'connectors'), enabled: settings.connectors.enabled ?? [] } };
}
