// Typed face of the kernel module: one instance with its own linear memory (scratch scopes and
// data movement from linear_memory.ts), owners of long-lived memory, and one method per kernel
// (int8 ones under `q8`). Raw exports stay private to src/wasm/. Knows nothing of CLIP.

import { type Act, actCode, OP } from "./abi.ts";
import {
  type Buf,
  type I16Buf,
  type I32Buf,
  type I8Buf,
  type Mat,
  Owner,
  type OwnerLimit,
  type PackedF32,
  type U8Buf,
  type Vec,
} from "./buffers.ts";
import { LinearMemory } from "./linear_memory.ts";
import { Heap } from "./memory.ts";
import { kernelModule, type KernelVariant, pickVariant } from "./module.ts";
import { Q8Ops } from "./q8.ts";
import { EdgeClipError } from "../errors.ts";

export type { Buf, I16Buf, I32Buf, I8Buf, Mat, OwnerLimit, PackedF32, U8Buf, Vec };
export { Owner };

export type { Act };

// deno-lint-ignore no-explicit-any
type Fn = (...args: number[]) => any;
/** The module's exports by name (src/wasm/ only). */
export type RawExports = Record<string, Fn>;

/** What the wrappers in src/wasm/ work on: raw exports and the heap. */
export interface KernelCore {
  readonly x: RawExports;
  readonly heap: Heap;
}

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `kernel call: ${msg}`);
}

let coreOf: (k: Kernels) => KernelCore;

/** One kernel instance with its own linear memory. */
export class Kernels extends LinearMemory {
  readonly variant: KernelVariant;
  /** The int8 kernels. */
  readonly q8: Q8Ops;
  readonly #x: RawExports;

  static {
    coreOf = (k) => ({ x: k.#x, heap: k.heap });
  }

  private constructor(variant: KernelVariant, memory: WebAssembly.Memory, x: RawExports) {
    const heap = new Heap(memory, x.heap_base());
    super(heap);
    this.variant = variant;
    this.#x = x;
    this.q8 = new Q8Ops(x, heap);
  }

  /** Instantiates the kernel module (best variant unless given) with a fresh memory. */
  static create(variant: KernelVariant = pickVariant()): Kernels {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
    const inst = new WebAssembly.Instance(kernelModule(variant), { env: { memory } });
    return new Kernels(variant, memory, inst.exports as unknown as RawExports);
  }

  // ---- memory ------------------------------------------------------------------------------

  /** A new owner of long-lived memory (free() gives all of it back), optionally capped. */
  owner(limit?: OwnerLimit): Owner {
    return new Owner(this, this.heap, limit);
  }

  /**
   * Runs `build` with a new owner and returns its result; when it throws (or its promise
   * rejects) the owner is freed first, so a load that fails part-way leaves nothing behind.
   */
  owned<T>(build: (o: Owner) => T, limit?: OwnerLimit): T {
    const o = this.owner(limit);
    try {
      const r = build(o);
      if (r instanceof Promise) {
        return r.catch((e) => {
          o.free();
          throw e;
        }) as T;
      }
      return r;
    } catch (e) {
      o.free();
      throw e;
    }
  }

  // ---- GEMM ----------------------------------------------------------------------------------

  /** Packs an [n × k] weight `src` (any row stride) into `into` (default: new scratch memory). */
  packF32(src: Mat, into: PackedF32 = this.packedF32(src.rows, src.cols)): PackedF32 {
    if (src.rows !== into.n || src.cols !== into.k) {
      bad(`pack ${src.rows}×${src.cols} into [${into.n}×${into.k}]`);
    }
    this.#x.pack_f32(src.ptr, src.ld, into.n, into.k, into.ptr);
    return into;
  }

  /** Unpacks a packed weight into dst [n × k] (any row stride). */
  unpackF32(w: PackedF32, dst: Mat): void {
    if (dst.rows !== w.n || dst.cols !== w.k) {
      bad(`unpack [${w.n}×${w.k}] into ${dst.rows}×${dst.cols}`);
    }
    this.#x.unpack_f32(w.ptr, w.n, w.k, dst.ptr, dst.ld);
  }

  /** out = act(a·Wᵀ + bias) + residual; `out` may be the residual itself, never `a`. */
  gemmF32(
    a: Mat,
    w: PackedF32,
    out: Mat,
    opts: { bias?: Vec; act?: Act; residual?: Mat } = {},
  ): void {
    if (a.cols !== w.k || out.rows !== a.rows || out.cols !== w.n) {
      bad(`gemm ${a.rows}×${a.cols} · [${w.n}×${w.k}]ᵀ → ${out.rows}×${out.cols}`);
    }
    const r = opts.residual, bias = opts.bias;
    if (r && (r.rows !== out.rows || r.cols !== out.cols)) bad("gemm residual shape");
    if (bias && bias.length !== w.n) bad(`bias of ${bias.length} for ${w.n} outputs`);
    this.#x.gemm_f32(
      a.ptr,
      a.ld,
      a.rows,
      a.cols,
      w.ptr,
      w.n,
      bias ? bias.ptr : 0,
      actCode(opts.act),
      r ? r.ptr : 0,
      r ? r.ld : 0,
      out.ptr,
      out.ld,
    );
  }

  // ---- row ops -------------------------------------------------------------------------------

  /** Layer norm over each row, with optional γ and β of cols floats. */
  layerNorm(x: Mat, out: Mat, gamma: Vec | undefined, beta: Vec | undefined, eps: number): void {
    if (x.rows !== out.rows || x.cols !== out.cols) bad("layerNorm shape");
    if ((gamma && gamma.length !== x.cols) || (beta && beta.length !== x.cols)) {
      bad("layerNorm parameters");
    }
    this.#x.layer_norm_f32(
      x.ptr,
      x.ld,
      out.ptr,
      out.ld,
      x.rows,
      x.cols,
      gamma ? gamma.ptr : 0,
      beta ? beta.ptr : 0,
      eps,
    );
  }

  softmax(x: Mat, out: Mat = x): void {
    if (x.rows !== out.rows || x.cols !== out.cols) bad("softmax shape");
    this.#x.softmax_f32(x.ptr, x.ld, out.ptr, out.ld, x.rows, x.cols);
  }

  act(x: Mat, out: Mat, kind: Act): void {
    if (x.rows !== out.rows || x.cols !== out.cols) bad("act shape");
    this.#x.act_f32(x.ptr, x.ld, out.ptr, out.ld, x.rows, x.cols, actCode(kind));
  }

  /** out = a + α·b; b with rows = 1 broadcasts over a's rows. */
  add(a: Mat, b: Mat, out: Mat, alpha = 1): void {
    this.#binary(a, b, out, OP.add, alpha);
  }

  /** out = a ⊙ b · α; b with rows = 1 broadcasts over a's rows. */
  mul(a: Mat, b: Mat, out: Mat, alpha = 1): void {
    this.#binary(a, b, out, OP.mul, alpha);
  }

  /** out = α·x + β. */
  affine(x: Mat, out: Mat, alpha: number, beta = 0): void {
    if (x.rows !== out.rows || x.cols !== out.cols) bad("affine shape");
    this.#x.affine_f32(x.ptr, x.ld, out.ptr, out.ld, x.rows, x.cols, alpha, beta);
  }

  #binary(a: Mat, b: Mat, out: Mat, op: number, alpha: number): void {
    const bcast = b.rows === 1 && a.rows !== 1;
    if (
      a.cols !== b.cols || out.cols !== a.cols || out.rows !== a.rows ||
      (!bcast && b.rows !== a.rows)
    ) bad(`binary op ${a.rows}×${a.cols} with ${b.rows}×${b.cols} → ${out.rows}×${out.cols}`);
    this.#x.binary_f32(
      a.ptr,
      a.ld,
      b.ptr,
      bcast ? 0 : b.ld,
      out.ptr,
      out.ld,
      a.rows,
      a.cols,
      op,
      alpha,
    );
  }

  // ---- attention and patches -----------------------------------------------------------------

  /**
   * Multi-head attention of one sequence. q: [sq × heads·hd], k/v: [sk × heads·hd], out like q.
   * causal: key j hidden from query i when j > i + shift. keyBias: sk additive floats.
   */
  attention(
    q: Mat,
    k: Mat,
    v: Mat,
    out: Mat,
    o: {
      heads: number;
      headDim: number;
      scale: number;
      causal?: boolean;
      shift?: number;
      keyBias?: Vec;
    },
  ): void {
    const width = o.heads * o.headDim;
    if (
      q.cols < width || k.cols < width || v.cols < width || out.cols < width ||
      k.rows !== v.rows || out.rows !== q.rows
    ) bad("attention shapes");
    if (o.keyBias && o.keyBias.length !== k.rows) bad("attention key bias length");
    const heap = this.heap, m = heap.mark();
    try {
      const scratch = heap.scratch(this.#x.attention_f32_scratch_bytes(k.rows, o.headDim));
      this.#x.attention_f32(
        q.ptr,
        q.ld,
        k.ptr,
        k.ld,
        v.ptr,
        v.ld,
        out.ptr,
        out.ld,
        q.rows,
        k.rows,
        o.heads,
        o.headDim,
        o.scale,
        o.causal ? 1 : 0,
        o.shift ?? 0,
        o.keyBias ? o.keyBias.ptr : 0,
        scratch,
      );
    } finally {
      heap.reset(m);
    }
  }

  /** Patches of a [ch × h × w] image (stride = kernel = p) into out [(h/p)(w/p) × ch·p·p]. */
  im2col(img: Vec, ch: number, h: number, w: number, p: number, out: Mat): void {
    if (out.rows !== Math.floor(h / p) * Math.floor(w / p) || out.cols !== ch * p * p) {
      bad("im2col shape");
    }
    if (img.length < ch * h * w) bad("im2col image size");
    if (out.ld !== out.cols) bad("im2col needs a dense output");
    this.#x.im2col_f32(img.ptr, ch, h, w, p, out.ptr);
  }
}

/**
 * Raw exports and heap of an instance, for the wrappers in src/wasm/ (and kernel tests at the
 * ABI level). tests/architecture_test.ts keeps every other src/ folder from calling it.
 */
export function kernelCore(k: Kernels): KernelCore {
  return coreOf(k);
}
