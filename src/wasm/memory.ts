// Linear memory of one kernel instance, as blocks: long-lived blocks (weights, adapters) are
// taken and given back by their owners (buffers.ts Owner); per-call scratch is a stack of bump
// chunks, released by scope. Freed blocks coalesce and are reused (best fit); a free block at
// the end lowers the heap top, so the next scratch chunk starts low again. Pointers only: typed
// handles and views live in buffers.ts and kernels.ts.

import { EdgeClipError } from "../errors.ts";

const PAGE = 65536;
/** wasm32 can address 4 GiB; hosts cap it lower (V8: 65536 pages). */
const MAX_PAGES = 65536;
/** Every block starts on a 64-byte boundary (a cache line; whole v128 loads). */
export const ALIGN = 64;
/** A scratch mark packs (chunk count, bump pointer) into one number: no allocation per scope. */
const MARK_CHUNK = 2 ** 33;

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** Memory figures of one instance (bytes). */
export interface MemoryStats {
  /** Size of the WebAssembly.Memory (it never shrinks). */
  readonly memory: number;
  /** End of the last block: what is in use or held by scratch, holes included. */
  readonly top: number;
  /** Highest top so far. */
  readonly peak: number;
  /** Bytes in live blocks (long-lived and scratch chunks). */
  readonly live: number;
  /** Bytes in free holes below the top. */
  readonly free: number;
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  readonly base: number;
  #top: number;
  #peak: number;
  #live = 0;
  /** Free holes below the top, sorted by address (parallel arrays). */
  readonly #freeAt: number[] = [];
  readonly #freeSize: number[] = [];
  /** Live block start → bytes (long-lived blocks and scratch chunks). */
  readonly #used = new Map<number, number>();
  /** Scratch chunks in stack order, their ends; the bump pointer and end of the last one. */
  readonly #chunks: number[] = [];
  readonly #chunkEnds: number[] = [];
  #sp = 0;
  #end = 0;
  #depth = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.base = alignUp(heapBase, ALIGN);
    this.#top = this.base;
    this.#peak = this.base;
  }

  // ---- long-lived blocks ------------------------------------------------------------------

  /** The size of the block alloc(bytes) returns. */
  blockSize(bytes: number): number {
    return Math.max(ALIGN, alignUp(bytes, ALIGN));
  }

  /** A block of at least `bytes` (not zeroed): the best-fitting hole, else at the top. */
  alloc(bytes: number): number {
    const size = this.blockSize(bytes);
    let best = -1;
    for (let i = 0; i < this.#freeAt.length; i++) {
      const s = this.#freeSize[i];
      if (s >= size && (best < 0 || s < this.#freeSize[best])) best = i;
    }
    let p: number;
    if (best >= 0) {
      p = this.#freeAt[best];
      const rest = this.#freeSize[best] - size;
      if (rest > 0) {
        this.#freeAt[best] = p + size;
        this.#freeSize[best] = rest;
      } else {
        this.#freeAt.splice(best, 1);
        this.#freeSize.splice(best, 1);
      }
    } else p = this.#carve(size);
    this.#used.set(p, size);
    this.#live += size;
    return p;
  }

  /** Gives a block back (long-lived or a scratch chunk); throws on a pointer that is not one. */
  free(p: number): void {
    const size = this.#used.get(p);
    if (size === undefined) {
      throw new EdgeClipError("runtime", `freeing ${p}, which is not a live block`);
    }
    this.#used.delete(p);
    this.#live -= size;
    // merge with the holes on either side
    let lo = 0, hi = this.#freeAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#freeAt[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    let at = p, n = size, i = lo;
    if (i > 0 && this.#freeAt[i - 1] + this.#freeSize[i - 1] === at) {
      i--;
      at = this.#freeAt[i];
      n += this.#freeSize[i];
      this.#freeAt.splice(i, 1);
      this.#freeSize.splice(i, 1);
    }
    if (i < this.#freeAt.length && this.#freeAt[i] === at + n) {
      n += this.#freeSize[i];
      this.#freeAt.splice(i, 1);
      this.#freeSize.splice(i, 1);
    }
    if (at + n === this.#top) this.#top = at; // the heap ends earlier: no hole at the top
    else {
      this.#freeAt.splice(i, 0, at);
      this.#freeSize.splice(i, 0, n);
    }
  }

  /** Size of a live block (tests, stats). */
  sizeOf(p: number): number | undefined {
    return this.#used.get(p);
  }

  // ---- scratch ----------------------------------------------------------------------------

  /**
   * Opens a scratch scope; pass the result to reset(). Scopes nest strictly (try/finally).
   * Long-lived blocks taken inside a scope are never chunks, so reset() cannot free them.
   */
  mark(): number {
    this.#depth++;
    return this.#chunks.length * MARK_CHUNK + this.#sp;
  }

  /** Closes the scope opened by `mark`: frees the chunks opened since and rewinds the pointer. */
  reset(mark: number): void {
    const n = Math.floor(mark / MARK_CHUNK);
    while (this.#chunks.length > n) {
      this.#chunkEnds.pop();
      this.free(this.#chunks.pop()!);
    }
    if (n === 0) this.#sp = this.#end = 0;
    else {
      this.#sp = mark - n * MARK_CHUNK;
      this.#end = this.#chunkEnds[n - 1];
    }
    this.#depth--;
  }

  /** Open scratch scopes. */
  get depth(): number {
    return this.#depth;
  }

  /** Scratch bytes (not zeroed), released when the innermost open scope closes. */
  scratch(bytes: number): number {
    const p = this.#sp, end = alignUp(p + bytes, ALIGN);
    if (end <= this.#end && this.#chunks.length > 0) {
      this.#sp = end;
      return p;
    }
    return this.#newChunk(bytes);
  }

  #newChunk(bytes: number): number {
    if (this.#depth === 0) {
      throw new EdgeClipError("runtime", "scratch memory taken outside a scratch scope");
    }
    const n = this.#chunks.length;
    if (n > 0 && this.#end === this.#top) {
      // the last chunk ends the heap: it grows in place (the common case, as a plain bump)
      const last = this.#chunks[n - 1];
      const p = this.#sp, end = alignUp(p + bytes, ALIGN);
      this.#grow(end);
      this.#live += end - this.#end;
      this.#used.set(last, end - last);
      this.#chunkEnds[n - 1] = end;
      this.#top = this.#end = this.#sp = end;
      return p;
    }
    // a long-lived block sits above the last chunk (or there is none): a new chunk at the top
    const size = Math.max(ALIGN, alignUp(bytes, ALIGN));
    const p = this.#carve(size);
    this.#used.set(p, size);
    this.#live += size;
    this.#chunks.push(p);
    this.#chunkEnds.push(p + size);
    this.#sp = alignUp(p + bytes, ALIGN);
    this.#end = p + size;
    return p;
  }

  // ---- growth -----------------------------------------------------------------------------

  /** `size` bytes at the top of the heap. */
  #carve(size: number): number {
    const p = this.#top;
    this.#grow(p + size);
    this.#top = p + size;
    return p;
  }

  #grow(end: number): void {
    if (end > this.#peak) this.#peak = end;
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

  // ---- views (src/wasm/ only; valid until memory grows) ---------------------------------------

  u8(p: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, p, n);
  }

  /** Scratch copy of a typed array's bytes; returns its pointer. */
  put(data: ArrayBufferView): number {
    const p = this.scratch(data.byteLength);
    this.u8(p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }

  get stats(): MemoryStats {
    return {
      memory: this.memory.buffer.byteLength,
      top: this.#top,
      peak: this.#peak,
      live: this.#live,
      free: this.#freeSize.reduce((a, s) => a + s, 0),
    };
  }
}
