// The memory face of a kernel instance: scratch scopes and the scratch handles taken in them,
// and moving data between JS and handles (copies, fills, gathers, short-lived views). Kernels
// (kernels.ts) adds the compute ops and owners of long-lived memory on top.

import { EdgeClipError } from "../errors.ts";
import {
  Allocator,
  type ArrayOf,
  type Buf,
  bytesOf,
  type DType,
  elementBytes,
  type Mat,
  viewOf,
} from "./buffers.ts";
import type { Heap, MemoryStats } from "./memory.ts";

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `kernel call: ${msg}`);
}

export class LinearMemory extends Allocator {
  protected readonly heap: Heap;

  constructor(heap: Heap) {
    super(heap.memory);
    this.heap = heap;
  }

  /** Handles from `k.mat`, `k.vec`, … are scratch: valid until the enclosing scope ends. */
  protected take(bytes: number): number {
    return this.heap.scratch(bytes);
  }

  /**
   * Runs `fn` in a scratch scope: everything taken from `k.mat`/`k.vec`/… inside is released
   * afterwards (even on throw). Scopes nest; `fn` must be synchronous.
   */
  scratch<T>(fn: () => T): T {
    const m = this.heap.mark();
    try {
      const r = fn();
      if (r instanceof Promise) bad("a scratch scope must not span an await");
      return r;
    } finally {
      this.heap.reset(m);
    }
  }

  get memoryStats(): MemoryStats {
    return this.heap.stats;
  }

  // ---- moving data -------------------------------------------------------------------------

  /** A sub-block view (no copy). */
  view(m: Mat, r0: number, rows: number, c0 = 0, cols = m.cols - c0): Mat {
    if (r0 < 0 || c0 < 0 || r0 + rows > m.rows || c0 + cols > m.cols) {
      bad(`view [${r0}+${rows}, ${c0}+${cols}] outside ${m.rows}×${m.cols}`);
    }
    return { ptr: m.ptr + (r0 * m.ld + c0) * 4, rows, cols, ld: m.ld };
  }

  /** Elements [start, start + length) of a buffer (no copy). */
  slice<D extends DType>(b: Buf<D>, start: number, length = b.length - start): Buf<D> {
    if (start < 0 || length < 0 || start + length > b.length) {
      bad(`slice [${start}, +${length}) outside ${b.length}`);
    }
    return { ptr: b.ptr + start * elementBytes(b.dtype), length, dtype: b.dtype };
  }

  /** True when two matrices start at the same address (one is the other's memory). */
  sameStart(a: Mat, b: Mat): boolean {
    return a.ptr === b.ptr;
  }

  /** Copies a matrix out into a dense Float32Array. */
  read(m: Mat): Float32Array {
    const out = new Float32Array(m.rows * m.cols);
    const all = this.#f32(m.ptr, m.rows === 0 ? 0 : (m.rows - 1) * m.ld + m.cols);
    for (let r = 0; r < m.rows; r++) {
      out.set(all.subarray(r * m.ld, r * m.ld + m.cols), r * m.cols);
    }
    return out;
  }

  /** Copies dense row-major data into a matrix view. */
  write(m: Mat, data: ArrayLike<number>): void {
    if (data.length !== m.rows * m.cols) {
      bad(`write of ${data.length} values into ${m.rows}×${m.cols}`);
    }
    const all = this.#f32(m.ptr, m.rows === 0 ? 0 : (m.rows - 1) * m.ld + m.cols);
    const src = data instanceof Float32Array ? data : Float32Array.from(data);
    for (let r = 0; r < m.rows; r++) all.set(src.subarray(r * m.cols, (r + 1) * m.cols), r * m.ld);
  }

  /** Sets every element of a matrix view (or a buffer) to `v`. */
  fill(m: Mat | Buf, v: number): void {
    if ("dtype" in m) {
      viewOf(this.heap.memory, m).fill(v);
      return;
    }
    const all = this.#f32(m.ptr, m.rows === 0 ? 0 : (m.rows - 1) * m.ld + m.cols);
    for (let r = 0; r < m.rows; r++) all.fill(v, r * m.ld, r * m.ld + m.cols);
  }

  /** Copies src into dst (same shape, any strides). */
  copy(src: Mat, dst: Mat): void {
    if (src.rows !== dst.rows || src.cols !== dst.cols) bad("copy shape mismatch");
    const buf = new Uint8Array(this.heap.memory.buffer);
    if (src.ld === src.cols && dst.ld === dst.cols) {
      buf.copyWithin(dst.ptr, src.ptr, src.ptr + src.rows * src.cols * 4);
      return;
    }
    for (let r = 0; r < src.rows; r++) {
      const s = src.ptr + r * src.ld * 4;
      buf.copyWithin(dst.ptr + r * dst.ld * 4, s, s + src.cols * 4);
    }
  }

  /** out[i] = table[ids[i]] (rows of an f32 table); ids must already be checked. */
  gatherRows(table: Mat, ids: ArrayLike<number>, out: Mat): void {
    if (out.rows !== ids.length || out.cols !== table.cols) bad("gather shape");
    const buf = new Uint8Array(this.heap.memory.buffer);
    const row = table.cols * 4;
    for (let i = 0; i < ids.length; i++) {
      const src = table.ptr + ids[i] * table.ld * 4;
      buf.copyWithin(out.ptr + i * out.ld * 4, src, src + row);
    }
  }

  /** A copy of a buffer's elements. */
  readBuf<D extends DType>(b: Buf<D>): ArrayOf[D] {
    return viewOf(this.heap.memory, b).slice() as ArrayOf[D];
  }

  /** Copies a buffer's elements into `out` from index `at`. */
  readBufInto<D extends DType>(b: Buf<D>, out: ArrayOf[D], at = 0): void {
    out.set(viewOf(this.heap.memory, b) as never, at);
  }

  /** Copies the first `n` elements of `src` to `dst` (same dtype; may overlap). */
  copyBuf<D extends DType>(src: Buf<D>, dst: Buf<D>, n = src.length): void {
    if (n > src.length || n > dst.length) {
      bad(`copy of ${n} between ${src.length} and ${dst.length}`);
    }
    const w = elementBytes(src.dtype);
    new Uint8Array(this.heap.memory.buffer).copyWithin(dst.ptr, src.ptr, src.ptr + n * w);
  }

  /** Copies `data` into a buffer from element `at`. */
  writeBuf(b: Buf, data: ArrayLike<number>, at = 0): void {
    if (at < 0 || at + data.length > b.length) {
      bad(`write of ${data.length} at ${at} into ${b.length}`);
    }
    viewOf(this.heap.memory, b).set(data, at);
  }

  /**
   * Hands `fn` a view of a buffer (or a dense matrix) for the length of the call, or of its
   * promise: the one way to fill linear memory in place, e.g. a file read straight into a weight.
   * Throws when memory grew meanwhile (the view was cut off).
   */
  withView<R>(b: Mat | Buf<"f32">, fn: (view: Float32Array) => R): R;
  withView<D extends DType, R>(b: Buf<D>, fn: (view: ArrayOf[D]) => R): R;
  withView<R>(b: Buf | Mat, fn: (view: never) => R): R {
    const v = "dtype" in b ? viewOf(this.heap.memory, b) : this.#f32(b.ptr, this.#dense(b));
    return this.#guard(v.buffer, fn(v as never));
  }

  /** withView on a buffer's (or dense matrix's) bytes. */
  withBytes<R>(b: Buf | Mat, fn: (bytes: Uint8Array) => R): R {
    const n = "dtype" in b ? bytesOf(b) : this.#dense(b) * 4;
    const v = new Uint8Array(this.heap.memory.buffer, b.ptr, n);
    return this.#guard(v.buffer, fn(v));
  }

  #dense(m: Mat): number {
    if (m.ld !== m.cols && m.rows > 1) bad("a view of a strided matrix");
    return m.rows * m.cols;
  }

  #guard<R>(buffer: ArrayBufferLike, r: R): R {
    const check = () => {
      if (this.heap.memory.buffer !== buffer) {
        bad("linear memory grew while a view of it was in use; the data may be lost");
      }
    };
    if (r instanceof Promise) return r.then((v) => (check(), v)) as R;
    check();
    return r;
  }

  #f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.heap.memory.buffer, ptr, n);
  }
}
