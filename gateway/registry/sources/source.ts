/**
 * Where connectors come from. The registry asks each source what it has (`scan`, cheap:
 * file stamps only), loads what is new or changed (`load`), and rescans when a source
 * says something moved (`watch`). Sources know files; the registry alone knows
 * snapshots, last good versions and id clashes, so every source behaves the same.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { LoadFailure } from '../../core';
import type { LoadedConnector } from '../load-connector';

/** One connector a source can load. */
export interface SourceEntry {
  /** The file that stands for it (a spec, a connector.yaml): failures and clashes name it. Unique within the source. */
  file: string;
  /** Changes whenever any file the connector is built from changes; an unchanged stamp is not loaded again. */
  stamp: string;
}

export interface SourceScan {
  entries: SourceEntry[];
  /** Problems that belong to no entry (an enabled connector that does not exist). */
  failures: LoadFailure[];
}

export interface SourceLoad {
  connector: LoadedConnector;
  /** Extra fields for the `spec loaded` log line. */
  log?: Record<string, unknown>;
}

export interface ConnectorSource {
  /** Served connectors carry it as `source` (ServedConnector). */
  readonly id: string;
  scan(): Promise<SourceScan>;
  /** Throws a coded error when the connector cannot be loaded. `first`: this entry was never loaded before. */
  load(entry: SourceEntry, first: boolean): Promise<SourceLoad>;
  /** Calls `onChange` whenever something may have changed (the registry debounces); returns how to stop. */
  watch(onChange: () => void): () => void;
}

/** A kind of source: makes one from the registry's options, or none when they do not ask for it. */
export interface SourceKind<Options> {
  create(options: Options, context: { log: Logger }): ConnectorSource | undefined;
}

/** `mtime:size` of each file ('-' for one that is not there), joined: the stamp of an entry. */
export async function stampOf(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      try {
        const s = await stat(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return '-';
      }
    }),
  );
  return parts.join('|');
}
