// Linear memory of one kernel instance: a bump allocator whose lower part holds long-lived data
// (weights, loaded adapters) and whose top is per-call scratch, released with mark/reset.
// Views are created fresh on every access because growing memory detaches old ArrayBuffers.

import { EdgeClipError } from "../errors.ts";

const PAGE = 65536;
/** wasm32 can address 4 GiB; hosts cap it lower (V8: 65536 pages). */
const MAX_PAGES = 65536;
export const ALIGN = 64;

export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  #top: number;
  #peak: number;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.#top = alignUp(heapBase, ALIGN);
    this.#peak = this.#top;
  }

  /** Allocates `bytes` (64-byte aligned, zero-filled only if fresh pages) and returns the pointer. */
  alloc(bytes: number): number {
    const ptr = this.#top;
    const end = alignUp(ptr + Math.max(bytes, 0), ALIGN);
    this.#ensure(end);
    this.#top = end;
    if (end > this.#peak) this.#peak = end;
    return ptr;
  }

  /** Allocates and zero-fills. */
  calloc(bytes: number): number {
    const p = this.alloc(bytes);
    this.u8(p, bytes).fill(0);
    return p;
  }

  /** Current top; pass to reset() to free everything allocated after it. */
  mark(): number {
    return this.#top;
  }

  reset(mark: number): void {
    this.#top = mark;
  }

  /** Runs `fn` with scratch allocations that are released afterwards (even on throw). */
  scratch<T>(fn: () => T): T {
    const m = this.mark();
    try {
      return fn();
    } finally {
      this.reset(m);
    }
  }

  /** Bytes in use now and at most so far. */
  get used(): number {
    return this.#top;
  }
  get peak(): number {
    return this.#peak;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
  i8(ptr: number, n: number): Int8Array {
    return new Int8Array(this.memory.buffer, ptr, n);
  }
  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** Copies a typed array into fresh memory and returns its pointer. */
  put(data: Float32Array | Int32Array | Int8Array | Uint8Array): number {
    const p = this.alloc(data.byteLength);
    this.u8(p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new EdgeClipError(
        "input_too_large",
        `edgeclip needs ${(end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, over the 4 GiB ` +
          `a wasm32 instance can address; use a smaller batch or the int8 model`,
        { bytes: end },
      );
    }
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new EdgeClipError(
        "runtime",
        `the host refused to grow WebAssembly memory to ${(end / 2 ** 20).toFixed(0)} MiB`,
        { bytes: end },
        { cause: e },
      );
    }
  }
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
