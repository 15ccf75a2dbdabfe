/**
 * The live registry: reads every connector source (sources/: the specs folder, built-in
 * connectors) into one snapshot, watches them, and on any change builds a new snapshot
 * and emits `changed`. A connector that breaks keeps its last good version served; a
 * broken new one is reported (failures, /healthz) and disturbs nothing else. Two files
 * that map to one id, in any sources, are a CONFIG_CONNECTOR_ID failure naming both.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { errors, toHubError } from '../../errors';
import type { LoadedConnector } from './load-connector';
import { SOURCE_KINDS, type ConnectorSource, type SourceEntry, type SourceOptions } from './sources';
import { RegistrySnapshot, type LoadFailure, type ServedConnector } from '../core';

export type RegistryOptions = SourceOptions & {
  log: Logger;
  /** Quiet time after the last file event before reloading; editors write files in bursts. */
  debounceMs?: number; // milliseconds
};

interface Entry {
  source: ConnectorSource;
  file: string;
  /** What the source stamped it with: unchanged stamp, no reload. */
  stamp: string;
  connector?: ServedConnector;
  failure?: LoadFailure;
}

// Typed `on('changed')` for an EventEmitter subclass: the merge declares only the overload.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export declare interface Registry {
  on(event: 'changed', listener: (next: RegistrySnapshot, previous: RegistrySnapshot) => void): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Registry extends EventEmitter {
  private snapshot = RegistrySnapshot.empty();
  private readonly sources: ConnectorSource[];
  /** By source id and file. */
  private readonly entries = new Map<string, Entry>();
  /** Each source's failures that belong to no entry, as of its last scan. */
  private readonly scanFailures = new Map<string, readonly LoadFailure[]>();
  private stopWatching?: Array<() => void>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly options: RegistryOptions) {
    super();
    // Every open MCP session listens for `changed`: dozens are normal, not a leak.
    this.setMaxListeners(0);
    this.sources = SOURCE_KINDS.map((kind) => kind.create(options, { log: options.log })).filter((s): s is ConnectorSource => s !== undefined);
  }

  get current(): RegistrySnapshot {
    return this.snapshot;
  }

  /** Loads every connector once; resolves when the first snapshot is in place. */
  async start(): Promise<RegistrySnapshot> {
    await this.rescan();
    return this.snapshot;
  }

  watch(): void {
    if (this.stopWatching) return;
    this.stopWatching = this.sources.map((source) => source.watch(() => this.schedule()));
  }

  close(): void {
    for (const stop of this.stopWatching ?? []) stop();
    this.stopWatching = undefined;
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
    const { log } = this.options;
    let changed = false;
    for (const source of this.sources) {
      const scan = await source.scan();
      if (JSON.stringify(scan.failures) !== JSON.stringify(this.scanFailures.get(source.id) ?? [])) changed = true;
      this.scanFailures.set(source.id, scan.failures);
      const present = new Set(scan.entries.map((e) => keyOf(source, e.file)));
      for (const [key, entry] of this.entries) {
        if (entry.source !== source || present.has(key)) continue;
        this.entries.delete(key);
        changed = true;
        log.info({ file: entry.file }, 'spec removed');
      }
      for (const found of scan.entries) {
        const key = keyOf(source, found.file);
        const entry = this.entries.get(key);
        if (entry && entry.stamp === found.stamp) continue;
        changed = true;
        this.entries.set(key, await this.load(source, found, entry));
      }
    }
    if (!changed) return;
    const next = this.buildSnapshot();
    const previous = this.snapshot;
    this.snapshot = next;
    log.info({ version: next.version, connectors: next.connectors.size, tools: next.tools.length, failures: next.failures.length }, 'registry updated');
    this.emit('changed', next, previous);
  }

  private async load(source: ConnectorSource, { file, stamp }: SourceEntry, previous: Entry | undefined): Promise<Entry> {
    const started = performance.now();
    const { log } = this.options;
    try {
      const loaded = await source.load({ file, stamp }, previous === undefined);
      const connector = served(loaded.connector, source);
      log.info(
        {
          file,
          connector: connector.id,
          tools: connector.tools.length,
          warnings: connector.problems.length,
          ...loaded.log,
          ms: Math.round(performance.now() - started),
        },
        'spec loaded',
      );
      return { source, file, stamp, connector };
    } catch (cause) {
      const error = toHubError(cause);
      const kept = previous?.connector;
      log.warn({ file, code: error.code, err: error.message, servingPrevious: kept?.id }, 'spec not loaded');
      return {
        source,
        file,
        stamp,
        connector: kept,
        failure: { file, code: error.code, message: error.message, ...(kept ? { servingPrevious: kept.id } : {}) },
      };
    }
  }

  private buildSnapshot(): RegistrySnapshot {
    const connectors: ServedConnector[] = [];
    const failures: LoadFailure[] = [];
    const owner = new Map<string, string>();
    for (const source of this.sources) {
      const entries = [...this.entries.values()].filter((e) => e.source === source).sort((a, b) => a.file.localeCompare(b.file));
      for (const { file, connector, failure } of entries) {
        if (failure) failures.push(failure);
        if (!connector) continue;
        const other = owner.get(connector.id);
        if (other !== undefined) {
          const error = errors.CONFIG_CONNECTOR_ID([connector.id, `both ${other} and ${file} map to it; rename one file or set \`id\` in a connector file`]);
          failures.push({ file, code: error.code, message: error.message });
          continue;
        }
        owner.set(connector.id, file);
        connectors.push(connector);
      }
      failures.push(...(this.scanFailures.get(source.id) ?? []));
    }
    return new RegistrySnapshot(this.snapshot.version + 1, connectors, failures);
  }
}

function keyOf(source: ConnectorSource, file: string): string {
  return `${source.id}\0${file}`;
}

function served(connector: LoadedConnector, source: ConnectorSource): LoadedConnector & ServedConnector {
  return { ...connector, source: source.id };
}
