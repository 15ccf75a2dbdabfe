/**
 * The specs folder (`serve --specs`): every `*.json|yaml` spec with its optional
 * `<name>.connector.yaml`, watched with fs.watch.
 *
 * With `generatedDir` (`serve --generated DIR`), a spec seen for the first time is
 * loaded from the folder `lunar-hub generate` wrote for it when that is still fresh
 * (load-artefacts.ts), which skips parsing and generation; a spec that changes while
 * the hub runs is loaded from the spec, as without it.
 */
import { watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { artefactDirFor, loadArtefactsOrSpec } from '../load-artefacts';
import { connectorFileFor, loadConnector, loadUsedBuiltIn, usedBuiltInFiles } from '../load-connector';
import { stampOf, type SourceKind } from './source';

const SPEC_FILE = /\.(json|ya?ml)$/i;
const CONNECTOR_FILE = /\.connector\.ya?ml$/i;

export interface SpecsFolderOptions {
  specsDir: string;
  /**
   * A folder written by `lunar-hub generate --out`: first loads come from its
   * `<connector>/` artefacts when they match the spec, else from the spec (with a warning).
   */
  generatedDir?: string;
  /** The built-in connectors' folder, which a connector file with `use: <id>` and no spec beside it draws on. */
  builtInDir?: string;
}

export const specsFolder: SourceKind<SpecsFolderOptions> = {
  create({ specsDir, generatedDir, builtInDir }, { log }) {
    return {
      id: 'specs',

      async scan() {
        let all: string[];
        try {
          all = (await readdir(specsDir)).sort();
        } catch (cause) {
          log.error({ dir: specsDir, err: (cause as Error).message }, 'cannot read the specs folder');
          all = [];
        }
        const names = all.filter((n) => SPEC_FILE.test(n) && !CONNECTOR_FILE.test(n));
        const files = names.map((n) => path.join(specsDir, n));
        const entries = await Promise.all(
          files.map(async (file) => ({ file, stamp: await stampOf([file, connectorFileFor(file, 'yaml'), connectorFileFor(file, 'yml')]) })),
        );
        // A connector file with no spec beside it that says `use: <id>` stands for a built-in
        // connector. One without `use` is left alone, as before: a spec's file outliving it.
        const specless = all
          .filter((n) => CONNECTOR_FILE.test(n))
          .map((n) => path.join(specsDir, n))
          .filter((file) => !files.some((spec) => [connectorFileFor(spec, 'yaml'), connectorFileFor(spec, 'yml')].includes(file)));
        for (const file of specless) {
          if (!(await saysUse(file))) continue;
          entries.push({ file, stamp: await stampOf(await usedBuiltInFiles(file, builtInDir)) });
        }
        return { entries, failures: [] };
      },

      async load({ file }, first) {
        if (CONNECTOR_FILE.test(file)) return { connector: await loadUsedBuiltIn(file, builtInDir), log: { use: 'built-in' } };
        if (generatedDir === undefined) return { connector: await loadConnector(file) };
        // Artefacts describe the spec as generate saw it; a spec edited while the hub runs is read afresh.
        const { connector, source } = first
          ? await loadArtefactsOrSpec(await artefactDirFor(generatedDir, file), { specFile: file, log })
          : { connector: await loadConnector(file), source: 'spec' as const };
        return { connector, log: { source } };
      },

      watch(onChange) {
        const watcher = watch(specsDir, onChange);
        watcher.on('error', (error) => log.error({ err: error.message }, 'watching the specs folder failed'));
        return () => watcher.close();
      },
    };
  },
};

/** A top-level `use:` key, read as text: the scan runs on every change and need not parse YAML. */
async function saysUse(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^use\s*:/m.test(text);
}
