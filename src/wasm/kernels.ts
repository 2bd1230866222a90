// Typed face of the kernel module: matrices in linear memory (`Mat`) and one method per kernel.
// The only file that calls raw exports. Knows nothing of CLIP or adapters.

import { ACT, type ActName, GEMM_F32_NR, OP } from "./abi.ts";
import { kernelModule, type KernelVariant, pickVariant } from "./module.ts";
import { WasmMemory } from "./memory.ts";
import { EdgeClipError } from "../errors.ts";

/** A row-major f32 matrix view in linear memory: `rows × cols`, row stride `ld` elements. */
export interface Mat {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly ld: number;
}

/** An [n × k] weight packed for gemm_f32 (panels of GEMM_F32_NR output columns). */
export interface PackedF32 {
  readonly ptr: number;
  readonly n: number;
  readonly k: number;
}

/** Activation by name or ABI code. */
export type Act = ActName | number;

// deno-lint-ignore no-explicit-any
type Fn = (...args: number[]) => any;

/** The ABI code of an activation; a name must be one of ACT's own (never Object.prototype's). */
export function actCode(a: Act | undefined): number {
  if (a === undefined) return 0;
  if (typeof a === "number") return a;
  if (typeof a !== "string" || !Object.hasOwn(ACT, a)) bad(`unknown activation ${String(a)}`);
  return ACT[a];
}

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `kernel call: ${msg}`);
}

/** One kernel instance with its own linear memory. */
export class Kernels {
  readonly mem: WasmMemory;
  readonly variant: KernelVariant;
  /** Raw exports, for the typed wrappers in src/wasm/ only (no other folder touches them). */
  readonly x: Record<string, Fn>;
  readonly #x: Record<string, Fn>;

  private constructor(variant: KernelVariant, memory: WebAssembly.Memory, x: Record<string, Fn>) {
    this.variant = variant;
    this.#x = x;
    this.x = x;
    this.mem = new WasmMemory(memory, x.heap_base());
  }

  /** Instantiates the kernel module (best variant unless given) with a fresh memory. */
  static create(variant: KernelVariant = pickVariant()): Kernels {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
    const inst = new WebAssembly.Instance(kernelModule(variant), { env: { memory } });
    return new Kernels(variant, memory, inst.exports as unknown as Record<string, Fn>);
  }

  // ---- matrices ----------------------------------------------------------------------------

  /** Allocates an uninitialised rows × cols matrix. */
  mat(rows: number, cols: number): Mat {
    return { ptr: this.mem.alloc(rows * cols * 4), rows, cols, ld: cols };
  }

  /** Allocates a matrix holding `data` (row-major, rows × cols). */
  matFrom(data: Float32Array, rows: number, cols: number): Mat {
    if (data.length !== rows * cols) bad(`data has ${data.length} values, want ${rows}×${cols}`);
    const m = this.mat(rows, cols);
    this.mem.f32(m.ptr, data.length).set(data);
    return m;
  }

  /** A sub-block view (no copy). */
  view(m: Mat, r0: number, rows: number, c0 = 0, cols = m.cols - c0): Mat {
    if (r0 < 0 || c0 < 0 || r0 + rows > m.rows || c0 + cols > m.cols) {
      bad(`view [${r0}+${rows}, ${c0}+${cols}] outside ${m.rows}×${m.cols}`);
    }
    return { ptr: m.ptr + (r0 * m.ld + c0) * 4, rows, cols, ld: m.ld };
  }

  /** Copies a matrix out into a dense Float32Array. */
  read(m: Mat): Float32Array {
    const out = new Float32Array(m.rows * m.cols);
    const all = this.mem.f32(m.ptr, m.rows === 0 ? 0 : (m.rows - 1) * m.ld + m.cols);
    for (let r = 0; r < m.rows; r++) {
      out.set(all.subarray(r * m.ld, r * m.ld + m.cols), r * m.cols);
    }
    return out;
  }

  /** Copies dense row-major data into a matrix view. */
  write(m: Mat, data: Float32Array): void {
    if (data.length !== m.rows * m.cols) {
      bad(`write of ${data.length} values into ${m.rows}×${m.cols}`);
    }
    const all = this.mem.f32(m.ptr, m.rows === 0 ? 0 : (m.rows - 1) * m.ld + m.cols);
    for (let r = 0; r < m.rows; r++) all.set(data.subarray(r * m.cols, (r + 1) * m.cols), r * m.ld);
  }

  /** Copies src into dst (same shape, any strides). */
  copy(src: Mat, dst: Mat): void {
    if (src.rows !== dst.rows || src.cols !== dst.cols) bad("copy shape mismatch");
    const buf = new Uint8Array(this.mem.memory.buffer);
    if (src.ld === src.cols && dst.ld === dst.cols) {
      buf.copyWithin(dst.ptr, src.ptr, src.ptr + src.rows * src.cols * 4);
      return;
    }
    for (let r = 0; r < src.rows; r++) {
      const s = src.ptr + r * src.ld * 4;
      buf.copyWithin(dst.ptr + r * dst.ld * 4, s, s + src.cols * 4);
    }
  }

  // ---- GEMM ----------------------------------------------------------------------------------

  /** Bytes of a packed [n × k] weight. */
  packedBytes(n: number, k: number): number {
    return Math.ceil(n / GEMM_F32_NR) * k * GEMM_F32_NR * 4;
  }

  /** Packs an [n × k] weight held in linear memory at `src` (row stride ldw) into new memory. */
  packF32(src: number, n: number, k: number, ldw = k): PackedF32 {
    const ptr = this.mem.alloc(this.packedBytes(n, k));
    this.#x.pack_f32(src, ldw, n, k, ptr);
    return { ptr, n, k };
  }

  /** Packs into an existing packed buffer (same n, k), e.g. after merging an adapter. */
  repackF32(src: number, w: PackedF32, ldw = w.k): void {
    this.#x.pack_f32(src, ldw, w.n, w.k, w.ptr);
  }

  /** Unpacks a packed weight into dst ([n × k], row stride ldw). */
  unpackF32(w: PackedF32, dst: number, ldw = w.k): void {
    this.#x.unpack_f32(w.ptr, w.n, w.k, dst, ldw);
  }

  /**
   * out = act(a·Wᵀ + bias) + residual. `bias` is a pointer to n floats (0 for none).
   * `out` may be the residual itself, never `a`.
   */
  gemmF32(
    a: Mat,
    w: PackedF32,
    out: Mat,
    opts: { bias?: number; act?: Act; residual?: Mat } = {},
  ): void {
    if (a.cols !== w.k || out.rows !== a.rows || out.cols !== w.n) {
      bad(`gemm ${a.rows}×${a.cols} · [${w.n}×${w.k}]ᵀ → ${out.rows}×${out.cols}`);
    }
    const r = opts.residual;
    if (r && (r.rows !== out.rows || r.cols !== out.cols)) bad("gemm residual shape");
    this.#x.gemm_f32(
      a.ptr,
      a.ld,
      a.rows,
      a.cols,
      w.ptr,
      w.n,
      opts.bias ?? 0,
      actCode(opts.act),
      r ? r.ptr : 0,
      r ? r.ld : 0,
      out.ptr,
      out.ld,
    );
  }

  // ---- row ops -------------------------------------------------------------------------------

  /** Layer norm over each row; gamma/beta are pointers to cols floats (0 = none). */
  layerNorm(x: Mat, out: Mat, gamma: number, beta: number, eps: number): void {
    if (x.rows !== out.rows || x.cols !== out.cols) bad("layerNorm shape");
    this.#x.layer_norm_f32(x.ptr, x.ld, out.ptr, out.ld, x.rows, x.cols, gamma, beta, eps);
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
   * causal: key j hidden from query i when j > i + shift. keyBias: pointer to sk additive floats.
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
      keyBias?: number;
    },
  ): void {
    const width = o.heads * o.headDim;
    if (
      q.cols < width || k.cols < width || v.cols < width || out.cols < width ||
      k.rows !== v.rows || out.rows !== q.rows
    ) bad("attention shapes");
    this.mem.scratch(() => {
      const scratch = this.mem.alloc(this.#x.attention_f32_scratch_bytes(k.rows, o.headDim));
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
        o.keyBias ?? 0,
        scratch,
      );
    });
  }

  /** Patches of a [ch × h × w] image at `img` (stride = kernel = p) into out [(h/p)(w/p) × ch·p·p]. */
  im2col(img: number, ch: number, h: number, w: number, p: number, out: Mat): void {
    if (out.rows !== Math.floor(h / p) * Math.floor(w / p) || out.cols !== ch * p * p) {
      bad("im2col shape");
    }
    if (out.ld !== out.cols) bad("im2col needs a dense output");
    this.#x.im2col_f32(img, ch, h, w, p, out.ptr);
  }
}
