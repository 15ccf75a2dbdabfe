/**
 * The live registry: loads every spec in the specs folder (with its optional
 * connector file), watches the folder, and on any change builds a new snapshot and
 * emits `changed`. A spec that breaks keeps its last good version served; a broken new
 * spec is reported (failures, /healthz) and disturbs nothing else.
 *
 * With `generatedDir` (`serve --generated DIR`), a spec seen for the first time is
 * loaded from the folder `lunar-hub generate` wrote for it when that is still fresh
 * (load-artefacts.ts), which skips parsing and generation; a spec that changes while
 * the hub runs is loaded from the spec, as without it.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { errors, toHubError } from '../../errors';
import { artefactDirFor, loadArtefactsOrSpec } from './load-artefacts';
import { loadConnector, type LoadedConnector } from './load-connector';
import { RegistrySnapshot, type LoadFailure } from '../core';

const SPEC_FILE = /\.(json|ya?ml)$/i;
const CONNECTOR_FILE = /\.connector\.ya?ml$/i;

export interface RegistryOptions {
  specsDir: string;
  log: Logger;
  /** Quiet time after the last file event before reloading; editors write files in bursts. */
  debounceMs?: number; // milliseconds
  /**
   * A folder written by `lunar-hub generate --out`: first loads come from its
   * `<connector>/` artefacts when they match the spec, else from the spec (with a warning).
   */
  generatedDir?: string;
}

interface Entry {
  /** mtime and size of the spec and its connector file: unchanged stamp, no reload. */
  stamp: string;
  connector?: LoadedConnector;
  failure?: LoadFailure;
}

export declare interface Registry {
  on(event: 'changed', listener: (next: RegistrySnapshot, previous: RegistrySnapshot) => void): this;
}

export class Registry extends EventEmitter {
  private snapshot = RegistrySnapshot.empty();
  private readonly entries = new Map<string, Entry>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly options: RegistryOptions) {
    super();
    // Every open MCP session listens for `changed`: dozens are normal, not a leak.
    this.setMaxListeners(0);
  }

  get current(): RegistrySnapshot {
    return this.snapshot;
  }

  /** Loads every spec once; resolves when the first snapshot is in place. */
  async start(): Promise<RegistrySnapshot> {
    await this.rescan();
    return this.snapshot;
  }

  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.options.specsDir, () => this.schedule());
    this.watcher.on('error', (error) => this.options.log.error({ err: error.message }, 'watching the specs folder failed'));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.timer);
  }

  /** Rescans now (one scan at a time; a request during a scan runs one more after it). */
  rescan(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.scanOnce();
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.rescan(), this.options.debounceMs ?? 100);
  }

  private async scanOnce(): Promise<void> {
    const { specsDir, log } = this.options;
    let names: string[];
    try {
      names = (await readdir(specsDir)).filter((n) => SPEC_FILE.test(n) && !CONNECTOR_FILE.test(n)).sort();
    } catch (cause) {
      log.error({ dir: specsDir, err: (cause as Error).message }, 'cannot read the specs folder');
      names = [];
    }
    let changed = false;
    const present = new Set(names.map((n) => path.join(specsDir, n)));
    for (const file of [...this.entries.keys()]) {
      if (!present.has(file)) {
        this.entries.delete(file);
        changed = true;
        log.info({ file }, 'spec removed');
      }
    }
    for (const file of present) {
      const stamp = await stampOf(file);
      const entry = this.entries.get(file);
      if (entry && entry.stamp === stamp) continue;
      changed = true;
      this.entries.set(file, await this.load(file, stamp, entry));
    }
    if (!changed) return;
    const next = this.buildSnapshot();
    const previous = this.snapshot;
    this.snapshot = next;
    log.info({ version: next.version, connectors: next.connectors.size, tools: next.tools.length, failures: next.failures.length }, 'registry updated');
    this.emit('changed', next, previous);
  }

  private async load(file: string, stamp: string, previous: Entry | undefined): Promise<Entry> {
    const started = performance.now();
    const { generatedDir, log } = this.options;
    try {
      // Artefacts describe the spec as generate saw it; a spec edited while the hub runs is read afresh.
      const { connector, source } =
        generatedDir !== undefined && previous === undefined
          ? await loadArtefactsOrSpec(await artefactDirFor(generatedDir, file), { specFile: file, log })
          : { connector: await loadConnector(file), source: 'spec' as const };
      log.info({ file, connector: connector.id, tools: connector.tools.length, warnings: connector.problems.length, ...(generatedDir !== undefined ? { source } : {}), ms: Math.round(performance.now() - started) }, 'spec loaded');
      return { stamp, connector };
    } catch (cause) {
      const error = toHubError(cause);
      const kept = previous?.connector;
      this.options.log.warn({ file, code: error.code, err: error.message, servingPrevious: kept?.id }, 'spec not loaded');
      return { stamp, connector: kept, failure: { file, code: error.code, message: error.message, ...(kept ? { servingPrevious: kept.id } : {}) } };
    }
  }

  private buildSnapshot(): RegistrySnapshot {
    const connectors: LoadedConnector[] = [];
    const failures: LoadFailure[] = [];
    const owner = new Map<string, string>();
    for (const [file, entry] of [...this.entries].sort(([a], [b]) => a.localeCompare(b))) {
      if (entry.failure) failures.push(entry.failure);
      if (!entry.connector) continue;
      const other = owner.get(entry.connector.id);
      if (other !== undefined) {
        const error = errors.CONFIG_CONNECTOR_ID([entry.connector.id, `both ${other} and ${file} map to it; rename one file or set \`id\` in a connector file`]);
        failures.push({ file, code: error.code, message: error.message });
        continue;
      }
      owner.set(entry.connector.id, file);
      connectors.push(entry.connector);
    }
    return new RegistrySnapshot(this.snapshot.version + 1, connectors, failures);
  }
}

async function stampOf(specFile: string): Promise<string> {
  const base = specFile.replace(/\.(json|ya?ml)$/i, '');
  const parts = await Promise.all([specFile, `${base}.connector.yaml`, `${base}.connector.yml`].map(async (f) => {
    try {
      const s = await stat(f);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return '-';
    }
  }));
  return parts.join('|');
}
