// The progress bar the CLI draws on stderr while a model loads (downloads, then tensors), once a
// load has taken more than a moment and only when stderr is a terminal (logs stay clean).

import type { ProgressEvent } from "../io/progress.ts";

/** Loads quicker than this draw nothing. */
const QUIET_MS = 700;
const WIDTH = 30;

const mb = (n: number) => (n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0);

/** One line of the bar: "model.safetensors [#####-----]  45%  272/605 MB". */
export function progressLine(e: ProgressEvent): string {
  if (!e.total) return `${e.file} ${mb(e.loaded)} MB`;
  const f = Math.min(1, e.loaded / e.total), full = Math.round(f * WIDTH);
  const pct = String(Math.floor(f * 100)).padStart(3);
  return `${e.file} [${"#".repeat(full)}${"-".repeat(WIDTH - full)}] ${pct}%  ${mb(e.loaded)}/${
    mb(e.total)
  } MB`;
}

/** An onProgress for loadClip drawing on stderr, and `end()` to clear the line afterwards. */
export function progressBar(
  now: () => number = () => performance.now(),
): { onProgress?: (e: ProgressEvent) => void; end(): void } {
  if (!Deno.stderr.isTerminal()) return { end() {} };
  const start = now(), enc = new TextEncoder();
  let drawn = false;
  const write = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  return {
    onProgress(e) {
      if (now() - start < QUIET_MS) return;
      drawn = true;
      write(`\r\x1b[2K${progressLine(e)}`);
    },
    end() {
      if (drawn) write("\r\x1b[2K");
    },
  };
}
