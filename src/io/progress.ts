// Progress of a model load, as the caller's onProgress sees it: bytes of one file downloaded, or
// bytes of tensors read into memory, reported often enough to draw a bar and rarely enough to cost
// nothing (at most ~200 calls per file).

/** What onProgress receives: `loaded` of `total` bytes of `file` (total undefined when unknown). */
export interface ProgressEvent {
  /** The file being downloaded or read (e.g. "model.safetensors"). */
  readonly file: string;
  /** Bytes done so far. */
  readonly loaded: number;
  /** Bytes in all, when known. */
  readonly total: number | undefined;
}

/** The caller's progress callback. */
export type OnProgress = (event: ProgressEvent) => void;

/** Reports at least this many bytes apart (and at every 0.5% of a known total). */
const MIN_STEP = 1 << 20;

/**
 * A counter for one file: `add(n)` as bytes arrive, `done()` at the end (always reported). Calls
 * onProgress only when the count moved by a step since the last report. A throwing callback is
 * the caller's bug: it propagates and fails the load.
 */
export class ProgressCounter {
  #loaded = 0;
  #reported = -1;
  readonly #step: number;

  constructor(
    readonly file: string,
    readonly total: number | undefined,
    readonly onProgress: OnProgress | undefined,
  ) {
    this.#step = Math.max(MIN_STEP, total && Number.isFinite(total) ? total / 200 : 0);
  }

  get loaded(): number {
    return this.#loaded;
  }

  add(n: number): void {
    this.#loaded += n;
    if (this.onProgress && this.#loaded - this.#reported >= this.#step) this.#report();
  }

  done(): void {
    if (this.onProgress && this.#reported !== this.#loaded) this.#report();
  }

  #report(): void {
    this.#reported = this.#loaded;
    this.onProgress!({ file: this.file, loaded: this.#loaded, total: this.total });
  }
}
