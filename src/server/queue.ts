// One computation at a time per model, first come first served. The kernels are synchronous, so
// running requests side by side would only interleave their memory; a bounded wait list turns
// overload into a quick 503 instead of unbounded memory.

import { HttpError } from "./error_response.ts";

/** A FIFO that runs one task at a time and holds at most `maxWaiting` more. */
export class ComputeQueue {
  readonly maxWaiting: number;
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  constructor(maxWaiting: number) {
    this.maxWaiting = maxWaiting;
  }

  /** Tasks waiting for their turn (not counting the running one). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a task is running. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Runs `task` when its turn comes. Throws `overloaded` at once when the wait list is full; a
   * task that had to wait and whose `signal` has aborted by its turn (client gone) is dropped.
   * `signal` is a getter, read only after a wait (the handler passes one only with its
   * checkAbandoned option: Deno.serve warns about its legacy abort once request.signal is read).
   */
  async run<T>(task: () => Promise<T> | T, signal?: () => AbortSignal | undefined): Promise<T> {
    const waited = this.#busy;
    if (waited) {
      if (this.#waiting.length >= this.maxWaiting) {
        throw new HttpError(
          "overloaded",
          `the server is busy (${this.#waiting.length} requests waiting); retry shortly`,
          { "retry-after": "1" },
        );
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#busy = true;
    }
    try {
      if (waited) signal?.()?.throwIfAborted();
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next task: #busy stays true
      else this.#busy = false;
    }
  }
}
