/**
 * `specs/<name>.connector.yaml` with `use: <id>` and no spec beside it: the built-in
 * connector `<id>` (`connectors/<id>/connector.yaml` and its spec), with the user's keys laid
 * over the built-in's file: a base URL (GitHub Enterprise, a self-managed GitLab, a Jira
 * site), headers, limits, more toolsets, or `spec` pointing at the full published spec to
 * serve every operation with the built-in's toolsets and names.
 */
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { didYouMean } from '../../../errors';
import { connectorError, hint, mergeConnectorConfigs, readRawConnectorConfig, shown } from '../connector-config';
import { loadConnector, type LoadedConnector } from './load';

export const BUILT_IN_FILE = 'connector.yaml';

/** The files a `use:` file depends on, for reloads: its own, the built-in's, and the spec read. */
export async function usedBuiltInFiles(file: string, builtInDir: string | undefined): Promise<string[]> {
  const raw = await readRawConnectorConfig(file).catch(() => undefined);
  if (raw?.use === undefined || builtInDir === undefined) return [file];
  const builtInFile = path.join(builtInDir, raw.use, BUILT_IN_FILE);
  const builtIn = await readRawConnectorConfig(builtInFile).catch(() => undefined);
  const spec = specOf(file, raw.spec, builtInFile, builtIn?.spec);
  return spec === undefined ? [file, builtInFile] : [file, builtInFile, spec];
}

export async function loadUsedBuiltIn(file: string, builtInDir: string | undefined): Promise<LoadedConnector> {
  const user = await readRawConnectorConfig(file);
  if (!user) throw connectorError(file, ['no such file']);
  if (user.use === undefined) {
    const base = file.replace(/\.connector\.ya?ml$/i, '');
    throw connectorError(file, [
      `no spec beside it (${path.basename(base)}.json, .yaml or .yml): put the spec there, or say \`use: <id>\` to turn on a built-in connector`,
    ]);
  }
  if (builtInDir === undefined) throw connectorError(file, [`use: ${shown(user.use)}: this hub has no folder of built-in connectors`]);
  const builtInFile = path.join(builtInDir, user.use, BUILT_IN_FILE);
  const builtIn = await readRawConnectorConfig(builtInFile);
  if (!builtIn) {
    const known = await readdir(builtInDir).catch(() => [] as string[]);
    throw connectorError(file, [`use: no built-in connector ${shown(user.use)} in ${builtInDir}${hint(didYouMean(user.use, known))}`]);
  }
  if (builtIn.use !== undefined) throw connectorError(builtInFile, ['use: a built-in connector cannot use another one']);
  const spec = specOf(file, user.spec, builtInFile, builtIn.spec);
  if (spec === undefined) throw connectorError(builtInFile, [`spec: missing; name the spec file that sits beside ${BUILT_IN_FILE}`]);
  const config = mergeConnectorConfigs(file, builtIn, user);
  const connector = await loadConnector(spec, { configFile: file, config, id: user.id ?? builtIn.id ?? user.use });
  return { ...connector, builtIn: user.use };
}

/** The user's `spec` (relative to the user's file), else the built-in's (relative to its folder). */
function specOf(file: string, userSpec: string | undefined, builtInFile: string, builtInSpec: string | undefined): string | undefined {
  if (userSpec !== undefined) return path.resolve(path.dirname(file), userSpec);
  return builtInSpec === undefined ? undefined : path.join(path.dirname(builtInFile), builtInSpec);
}
