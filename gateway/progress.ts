/**
 * Progress for long work (generating a large spec) on a terminal; silent in CI and
 * when stderr is not a TTY, so logs and piped output stay clean. The setting
 * `cli.progress` (LUNAR_PROGRESS) `on` forces it on (plain lines, one per update), `off` off.
 */
export interface Progress {
  stage(label: string): void;
  tick(done: number, total: number): void;
  end(summary?: string): void;
}

export interface ProgressSettings {
  mode: 'auto' | 'on' | 'off';
  /** In CI (`cli.ci`, CI): `auto` means off. */
  ci: boolean;
}

export function createProgress(
  stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
  settings: ProgressSettings = { mode: 'auto', ci: false },
): Progress {
  const tty = 'isTTY' in stream && stream.isTTY === true;
  const enabled = settings.mode === 'on' || (settings.mode === 'auto' && tty && !settings.ci);
  if (!enabled) return { stage() {}, tick() {}, end() {} };
  const redraw = tty && settings.mode !== 'on';
  let label = '';
  let lastDrawn = 0;
  const draw = (text: string) => stream.write(redraw ? `\r\x1b[K${text}` : `${text}\n`);
  return {
    stage(next) {
      label = next;
      draw(label);
    },
    tick(done, total) {
      const now = Date.now();
      if (done < total && now - lastDrawn < 100) return; // at most ten redraws a second
      lastDrawn = now;
      const width = 24;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      draw(`${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    },
    end(summary) {
      if (redraw) stream.write('\r\x1b[K');
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
