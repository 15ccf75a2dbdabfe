/**
 * fs.watch on a set of folders that changes between scans (a connector folder that
 * appears, a spec moved into a subfolder). Non-recursive on purpose: recursive fs.watch
 * on Linux is young in Node 20, and each connector needs only its own folders.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';

export class FolderWatchers {
  private readonly watchers = new Map<string, FSWatcher>();
  private onChange?: () => void;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  start(onChange: () => void, folders: Iterable<string>): void {
    this.onChange = onChange;
    this.sync(folders);
  }

  /** Watches exactly `folders` (while started); a folder that does not exist yet is tried again on the next sync. */
  sync(folders: Iterable<string>): void {
    const onChange = this.onChange;
    if (!onChange) return;
    const wanted = new Set(folders);
    for (const [folder, watcher] of this.watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (this.watchers.has(folder)) continue;
      let watcher: FSWatcher;
      try {
        watcher = watch(folder, onChange);
      } catch {
        continue; // not there (yet): the folder above it is watched and reports its arrival
      }
      watcher.on('error', (error) => {
        this.log.error({ dir: folder, err: error.message }, `watching ${this.what} failed`);
        watcher.close();
        this.watchers.delete(folder);
      });
      this.watchers.set(folder, watcher);
    }
  }

  stop(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.onChange = undefined;
  }
}
