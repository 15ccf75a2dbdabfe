/**
 * Built-in connectors: `connectors/<id>/connector.yaml`, naming its spec with `spec:`
 * (relative to the folder), served only when enabled. The id is the folder's name unless
 * the file sets `id`. An enabled id without a folder is a failure naming the nearest
 * folders, so a typo in the configuration is seen in /healthz, not as missing tools.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errors, nearestNames } from '../../../errors';
import { isValidConnectorId } from '../../../generators';
import type { LoadFailure } from '../../core';
import { connectorError, readConnectorConfig } from '../connector-config';
import { loadConnector } from '../load-connector';
import { FolderWatchers } from './folder-watchers';
import { stampOf, type SourceEntry, type SourceKind } from './source';

export const CONNECTOR_FILE_NAME = 'connector.yaml';

export interface BuiltInConnectorsOptions {
  /** `dir`: the folder of built-in connectors (one folder each); `enabled`: the folder names to serve. */
  connectors?: { dir: string; enabled: readonly string[] };
}

export const builtInConnectors: SourceKind<BuiltInConnectorsOptions> = {
  create({ connectors }, { log }) {
    if (connectors === undefined || connectors.enabled.length === 0) return undefined;
    const dir = path.resolve(connectors.dir);
    const enabled = [...new Set(connectors.enabled)].sort();
    const watchers = new FolderWatchers(log, 'the built-in connectors');
    let watched = new Set<string>([dir]);

    return {
      id: 'connectors',

      async scan() {
        const present = await folderNames(dir);
        const entries: SourceEntry[] = [];
        const failures: LoadFailure[] = [];
        const folders = new Set<string>([dir]);
        for (const id of enabled) {
          const folder = path.join(dir, id);
          if (!isValidConnectorId(id) || !present.includes(id)) {
            failures.push(unknownConnector(id, folder, present));
            continue;
          }
          const file = path.join(folder, CONNECTOR_FILE_NAME);
          folders.add(folder);
          // The spec named now; a file that cannot be read is the load's to report.
          const spec = await readConnectorConfig(file).then(
            (c) => c?.spec,
            () => undefined,
          );
          const specFile = spec === undefined ? undefined : path.join(folder, spec);
          if (specFile !== undefined) folders.add(path.dirname(specFile));
          entries.push({ file, stamp: await stampOf(specFile === undefined ? [file] : [file, specFile]) });
        }
        watched = folders;
        watchers.sync(watched);
        return { entries, failures };
      },

      async load({ file }) {
        const config = await readConnectorConfig(file);
        if (!config) throw connectorError(file, [`no such file: a built-in connector's folder holds a ${CONNECTOR_FILE_NAME} naming its spec`]);
        if (config.spec === undefined)
          throw connectorError(file, [`spec: missing; name the spec file that sits beside ${CONNECTOR_FILE_NAME} (for example \`spec: openapi.yaml\`)`]);
        const folder = path.dirname(file);
        const connector = await loadConnector(path.join(folder, config.spec), { configFile: file, id: path.basename(folder) });
        return { connector: { ...connector, builtIn: path.basename(folder) }, log: { builtIn: path.basename(folder) } };
      },

      watch(onChange) {
        watchers.start(onChange, watched);
        return () => watchers.stop();
      },
    };
  },
};

async function folderNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

function unknownConnector(id: string, folder: string, present: readonly string[]): LoadFailure {
  const near = nearestNames(id, present);
  const hint =
    near.length > 0
      ? `; did you mean ${near.join(', ')}?`
      : present.length > 0
        ? `; the built-in connectors are ${present.join(', ')}`
        : '; there are no built-in connectors';
  const error = errors.CONFIG_CONNECTOR_ID([id, `it is enabled, but there is no built-in connector folder ${folder}${hint}`]);
  return { file: folder, code: error.code, message: error.message };
}
