/**
 * A progress bar on stderr when it is a terminal, nothing when piped (so `--json > out`
 * stays clean and logs stay readable). Redrawn at most every 200 ms.
 */
export interface ProgressTask {
  /** `links` more processed; `position` = bytes read (of `total`) when known */
  tick(links: number, position?: number): void;
  done(): void;
}

export interface Progress {
  start(label: string, total?: number): ProgressTask;
}

const NOOP_TASK: ProgressTask = { tick() {}, done() {} };
export const noProgress: Progress = { start: () => NOOP_TASK };

export function terminalProgress(stream: NodeJS.WritableStream, now: () => number = Date.now): Progress {
  return {
    start(label, total) {
      const began = now();
      let links = 0;
      let position = 0;
      let last = 0;
      let drawn = false;
      const draw = () => {
        const secs = Math.max((now() - began) / 1000, 0.001);
        const rate = Math.round(links / secs);
        const shortLabel = label.length > 30 ? `…${label.slice(-29)}` : label;
        let bar = '';
        if (total && total > 0) {
          const frac = Math.min(position / total, 1);
          const width = 24;
          const full = Math.round(frac * width);
          bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% `;
        }
        stream.write(`\r\x1b[2K${shortLabel} ${bar}${links} links ${rate}/s`);
        drawn = true;
      };
      return {
        tick(n, pos) {
          links += n;
          if (pos !== undefined) position = pos;
          const t = now();
          if (t - last >= 200) {
            last = t;
            draw();
          }
        },
        done() {
          if (drawn) stream.write('\r\x1b[2K');
        },
      };
    },
  };
}
