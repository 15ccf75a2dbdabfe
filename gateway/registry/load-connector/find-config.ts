/** Which connector file goes with a spec. */
import { access } from 'node:fs/promises';
import { connectorError, DEFAULT_CONNECTOR_CONFIG, readConnectorConfig, type ConnectorConfig } from '../connector-config';

/** `specs/github.json` -> `specs/github.connector.yaml`. */
export function connectorFileFor(specFile: string, extension: 'yaml' | 'yml' = 'yaml'): string {
  return `${specFile.replace(/\.(json|ya?ml)$/i, '')}.connector.${extension}`;
}

/** The connector file beside a spec: `<spec>.connector.yaml` or `.yml` (both: an error), or the one named. */
export async function findConnectorConfig(specFile: string, explicit?: string): Promise<{ configFile?: string; config: ConnectorConfig }> {
  if (explicit !== undefined) {
    const config = await readConnectorConfig(explicit);
    if (!config) throw connectorError(explicit, ['no such file']);
    return { configFile: explicit, config };
  }
  const candidates = [connectorFileFor(specFile, 'yaml'), connectorFileFor(specFile, 'yml')];
  const present = (await Promise.all(candidates.map(async (f) => ((await exists(f)) ? f : undefined)))).filter((f): f is string => f !== undefined);
  if (present.length > 1) throw connectorError(present[0], [`${present[1]} exists too; keep one of the two files`]);
  if (present.length === 0) return { config: DEFAULT_CONNECTOR_CONFIG };
  // Gone between the check and the read (an editor saving): treat as absent, the next reload sees it.
  const config = await readConnectorConfig(present[0]);
  if (config?.spec !== undefined) {
    // Beside a spec the file refines that spec; naming another would make two files claim one connector.
    throw connectorError(present[0], ["spec: only a built-in connector's connectors/<id>/connector.yaml names its spec; beside a spec, leave `spec` out"]);
  }
  if (config?.use !== undefined) {
    throw connectorError(present[0], [
      `use: turns on a built-in connector from a file with no spec beside it; this file refines ${specFile} (remove \`use\`, or the spec)`,
    ]);
  }
  return config ? { configFile: present[0], config } : { config: DEFAULT_CONNECTOR_CONFIG };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
