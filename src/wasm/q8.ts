// The int8 kernels (assembly/quantize_q8.ts, gemm_q8.ts, and the 4-bit quantize_q4.ts, gemm_q4.ts)
// as `Kernels.q8`: weights quantized and packed into PackedQ8 (or PackedQ4) handles, activations quantized per row into scratch, the fused GEMM, and
// the int8 embedding table. Sizes come from the format table (formats.ts), which the parity test
// checks against the module.

import { EdgeClipError } from "../errors.ts";
import type { I8Buf, Mat, PackedQ4, PackedQ8, Vec } from "./buffers.ts";
import { actBytes, actFormatOf, QA, type QaCode } from "./formats.ts";
import type { Heap } from "./memory.ts";
import { type Act, actCode } from "./abi.ts";
import type { RawExports } from "./kernels.ts";

export type { PackedQ4, PackedQ8 };

/** A weight either int8 GEMM reads: int8 per channel, or 4-bit groups. */
export type PackedInt = PackedQ8 | PackedQ4;

/** Whether `w` holds 4-bit groups (else int8 per channel). */
export function isQ4(w: PackedInt): w is PackedQ4 {
  return "bits" in w && w.bits === 4;
}

/** Activations quantized per row for gemm_q8, in scratch memory of the caller's scope. */
export interface QuantizedAct {
  /** Packed blocks of 4 rows (assembly/formats.ts). */
  readonly ptr: number;
  /** Row scales (f32) then zero points (i32), ceil(rows/4)·4 of each. */
  readonly params: number;
  readonly rows: number;
  readonly cols: number;
  readonly fmt: QaCode;
}

/** Options of the int8 GEMM: out = act(a·Wᵀ + bias) + residual. */
export interface GemmQ8Options {
  bias?: Vec;
  act?: Act;
  residual?: Mat;
}

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `int8 kernel call: ${msg}`);
}

export class Q8Ops {
  readonly #x: RawExports;
  readonly #heap: Heap;

  constructor(x: RawExports, heap: Heap) {
    this.#x = x;
    this.#heap = heap;
  }

  /** Quantizes the f32 [n × k] weight `src` (any row stride) into `w` (int8 or 4-bit). */
  quantizePack(src: Mat, w: PackedInt): void {
    if (src.rows !== w.n || src.cols !== w.k) {
      bad(`pack ${src.rows}×${src.cols} into [${w.n}×${w.k}]`);
    }
    const [d, s, c] = [w.data.ptr, w.scales.ptr, w.sums.ptr];
    // err 0: the 4-bit kernel does not measure its error
    if (isQ4(w)) this.#x.quantize_pack_q4(src.ptr, src.ld, w.n, w.k, d, s, c, 0);
    else this.#x.quantize_pack_q8(src.ptr, src.ld, w.n, w.k, d, s, c);
  }

  /**
   * Quantizes `src` into the 4-bit `w`; returns the relative error ‖W − Ŵ‖ / ‖W‖ of the chosen
   * levels (0 for an all-zero weight).
   */
  quantizePackQ4(src: Mat, w: PackedQ4): number {
    if (src.rows !== w.n || src.cols !== w.k) {
      bad(`pack ${src.rows}×${src.cols} into [${w.n}×${w.k}]`);
    }
    const m = this.#heap.mark();
    try {
      const err = this.#heap.scratch(16);
      this.#x.quantize_pack_q4(
        src.ptr,
        src.ld,
        w.n,
        w.k,
        w.data.ptr,
        w.scales.ptr,
        w.sums.ptr,
        err,
      );
      const [e, t] = new Float64Array(this.#heap.memory.buffer, err, 2);
      return t > 0 ? Math.sqrt(e / t) : 0;
    } finally {
      this.#heap.reset(m);
    }
  }

  /** Dequantizes `w` into dst [n × k] f32 (any row stride). */
  unpack(w: PackedInt, dst: Mat): void {
    if (dst.rows !== w.n || dst.cols !== w.k) {
      bad(`unpack [${w.n}×${w.k}] into ${dst.rows}×${dst.cols}`);
    }
    const f = isQ4(w) ? this.#x.unpack_q4 : this.#x.unpack_q8;
    f(w.data.ptr, w.n, w.k, w.scales.ptr, dst.ptr, dst.ld);
  }

  /**
   * Quantizes `a` per row in format `fmt` into scratch memory (per-call use: inside a scratch
   * scope). One quantization can feed several gemmQuantized calls on the same input (e.g. the
   * q, k and v projections), each bit-identical to gemm.
   */
  quantizeAct(a: Mat, fmt: QaCode = QA.u8): QuantizedAct {
    const f = actFormatOf(fmt);
    if (!f || a.cols > f.maxK) bad(`k = ${a.cols} is too large for activation format ${fmt}`);
    const mp = Math.ceil(a.rows / 4) * 4;
    const ptr = this.#heap.scratch(actBytes(a.rows, a.cols, f));
    const params = this.#heap.scratch(mp * 8);
    if (a.rows > 0) this.#x.quantize_act_q8(a.ptr, a.ld, a.rows, a.cols, fmt, ptr, params);
    return { ptr, params, rows: a.rows, cols: a.cols, fmt };
  }

  /**
   * out = act(qa·Wᵀ + bias) + residual on activations from quantizeAct; `out` may be the
   * residual itself.
   */
  gemmQuantized(qa: QuantizedAct, w: PackedInt, out: Mat, opts: GemmQ8Options = {}): void {
    if (qa.cols !== w.k || out.rows !== qa.rows || out.cols !== w.n) {
      bad(`gemm ${qa.rows}×${qa.cols} · [${w.n}×${w.k}]ᵀ → ${out.rows}×${out.cols}`);
    }
    const r = opts.residual, bias = opts.bias;
    if (r && (r.rows !== out.rows || r.cols !== out.cols)) bad("gemm residual shape");
    if (bias && bias.length !== w.n) bad(`bias of ${bias.length} for ${w.n} outputs`);
    if (qa.rows === 0) return;
    const act = actCode(opts.act);
    (isQ4(w) ? this.#x.gemm_q4 : this.#x.gemm_q8)(
      qa.ptr,
      qa.rows,
      qa.cols,
      qa.fmt,
      qa.params,
      w.data.ptr,
      w.n,
      w.scales.ptr,
      w.sums.ptr,
      bias ? bias.ptr : 0,
      act,
      r ? r.ptr : 0,
      r ? r.ld : 0,
      out.ptr,
      out.ld,
    );
  }

  /**
   * out = act(a·Wᵀ + bias) + residual with `a` quantized per row in format `fmt` (scratch
   * memory, released before returning). `out` may be the residual itself.
   */
  gemm(a: Mat, w: PackedInt, out: Mat, opts: GemmQ8Options & { fmt?: QaCode } = {}): void {
    // shapes are checked by gemmQuantized (a bad call only wastes the quantization)
    const m = this.#heap.mark();
    try {
      this.gemmQuantized(this.quantizeAct(a, opts.fmt ?? QA.u8), w, out, opts);
    } finally {
      this.#heap.reset(m);
    }
  }

  /**
   * Symmetric int8 per row of src [rows × cols] (any row stride) into rows [row0, row0 + rows)
   * of the table `dst` [· × cols] and its row scales.
   */
  quantizeRows(src: Mat, dst: I8Buf, scales: Vec, row0 = 0): void {
    const { rows, cols } = src;
    if (row0 < 0 || (row0 + rows) * cols > dst.length || row0 + rows > scales.length) {
      bad(`rows [${row0}, +${rows}) outside a table of ${scales.length}`);
    }
    this.#x.quantize_rows_q8(
      src.ptr,
      src.ld,
      rows,
      cols,
      dst.ptr + row0 * cols,
      scales.ptr + row0 * 4,
    );
  }

  /** out[i] = table[ids[i]]·scale (table [· × cols]); ids must already be checked. */
  gather(table: I8Buf, scales: Vec, ids: ArrayLike<number>, out: Mat): void {
    const cols = out.cols;
    if (out.rows !== ids.length || table.length !== scales.length * cols) bad("gather shape");
    if (ids.length === 0) return;
    const m = this.#heap.mark();
    try {
      const p = this.#heap.scratch(ids.length * 4);
      new Int32Array(this.#heap.memory.buffer, p, ids.length).set(ids);
      this.#x.gather_q8(table.ptr, scales.ptr, cols, p, ids.length, out.ptr, out.ld);
    } finally {
      this.#heap.reset(m);
    }
  }
}
