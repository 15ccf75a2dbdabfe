/**
 * Progress for long work (generating a large spec) on a terminal; silent in CI and
 * when stderr is not a TTY, so logs and piped output stay clean. LUNAR_PROGRESS=1
 * forces it on (plain lines, one per update), LUNAR_PROGRESS=0 off.
 */
export interface Progress {
  stage(label: string): void;
  tick(done: number, total: number): void;
  end(summary?: string): void;
}

export function createProgress(stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr, env = process.env): Progress {
  const forced = env.LUNAR_PROGRESS;
  const tty = 'isTTY' in stream && stream.isTTY === true;
  const enabled = forced === '1' || (forced !== '0' && tty && !env.CI);
  if (!enabled) return { stage() {}, tick() {}, end() {} };
  const redraw = tty && forced !== '1';
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
