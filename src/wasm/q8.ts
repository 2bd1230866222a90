// Typed wrappers of the int8 kernels (assembly/quantize_q8.ts, gemm_q8.ts): packed weights in
// linear memory, run-time activation quantization into scratch, the fused GEMM.

import { EdgeClipError } from "../errors.ts";
import { type Act, actCode, type Kernels, type Mat } from "./kernels.ts";

/** An [n × k] weight packed for gemm_q8, with its per-channel scales (f32) and Σq (i32). */
export interface PackedQ8 {
  readonly ptr: number;
  readonly n: number;
  readonly k: number;
  /** ceil(n/12)·12 f32 scales (whole panels). */
  readonly scales: number;
  /** As many int32 sums of each channel's int8 values. */
  readonly sums: number;
}

/** Activation format codes (assembly/formats.ts QA_*; src/quant/formats.ts ACT_FORMATS). */
export const QA = { u8: 0, u7: 1, u12: 2 } as const;
/** Largest K per format (exact int32 sums). */
const FORMAT_MAX_K = [32768, 32768, 4096];
export type QaCode = typeof QA[keyof typeof QA];

/** Largest K (int32 sums stay exact below it). */
const MAX_K = 32768;

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `int8 kernel call: ${msg}`);
}

/** Entries of the scale/sum arrays of an n-channel weight. */
export function q8PaddedN(kr: Kernels, n: number): number {
  const nr = kr.x.q8_const(1) as number;
  return Math.ceil(n / nr) * nr;
}

/** Bytes of the packed int8 values of an [n × k] weight. */
export function q8PackedBytes(kr: Kernels, n: number, k: number): number {
  return kr.x.q8_packed_bytes(n, k) as number;
}

/** Allocates (uninitialised) long-lived memory for a packed [n × k] weight. */
export function allocQ8(kr: Kernels, n: number, k: number): PackedQ8 {
  if (n < 1 || k < 1 || k > MAX_K) bad(`weight [${n}×${k}] (k must be 1..${MAX_K})`);
  const np = q8PaddedN(kr, n);
  const ptr = kr.mem.alloc(q8PackedBytes(kr, n, k));
  const scales = kr.mem.alloc(np * 4);
  const sums = kr.mem.alloc(np * 4);
  return { ptr, n, k, scales, sums };
}

/** Quantizes the f32 [n × k] weight at `src` (row stride ldw floats) into `w`. */
export function quantizePackQ8(kr: Kernels, src: number, w: PackedQ8, ldw = w.k): void {
  kr.x.quantize_pack_q8(src, ldw, w.n, w.k, w.ptr, w.scales, w.sums);
}

/** Dequantizes `w` into dst [n × k] f32 (row stride ldd floats). */
export function unpackQ8(kr: Kernels, w: PackedQ8, dst: number, ldd = w.k): void {
  kr.x.unpack_q8(w.ptr, w.n, w.k, w.scales, dst, ldd);
}

/** Activations quantized per row for gemm_q8, in linear memory owned by the caller. */
export interface QuantizedAct {
  /** Packed blocks of 4 rows (assembly/formats.ts). */
  readonly ptr: number;
  /** Row scales (f32) then zero points (i32), ceil(rows/4)·4 of each. */
  readonly params: number;
  readonly rows: number;
  readonly cols: number;
  readonly fmt: QaCode;
}

/**
 * Quantizes `a` per row in format `fmt` into memory from `kr.mem.alloc` (per-call use: call it
 * inside `kr.mem.scratch`). One quantization can feed several gemmQ8Quantized calls on the same
 * input (e.g. the q, k and v projections), each bit-identical to gemmQ8.
 */
export function quantizeActForGemm(kr: Kernels, a: Mat, fmt: QaCode = QA.u8): QuantizedAct {
  if (a.cols > (FORMAT_MAX_K[fmt] ?? 0)) {
    bad(`k = ${a.cols} is too large for activation format ${fmt}`);
  }
  const mp = Math.ceil(a.rows / 4) * 4;
  const ptr = kr.mem.alloc(kr.x.q8_act_bytes(a.rows, a.cols, fmt) as number);
  const params = kr.mem.alloc(mp * 8);
  if (a.rows > 0) kr.x.quantize_act_q8(a.ptr, a.ld, a.rows, a.cols, fmt, ptr, params);
  return { ptr, params, rows: a.rows, cols: a.cols, fmt };
}

/**
 * out = act(qa·Wᵀ + bias) + residual on activations from quantizeActForGemm; `out` may be the
 * residual itself.
 */
export function gemmQ8Quantized(
  kr: Kernels,
  qa: QuantizedAct,
  w: PackedQ8,
  out: Mat,
  opts: { bias?: number; act?: Act; residual?: Mat } = {},
): void {
  if (qa.cols !== w.k || out.rows !== qa.rows || out.cols !== w.n) {
    bad(`gemm ${qa.rows}×${qa.cols} · [${w.n}×${w.k}]ᵀ → ${out.rows}×${out.cols}`);
  }
  const r = opts.residual;
  if (r && (r.rows !== out.rows || r.cols !== out.cols)) bad("gemm residual shape");
  if (qa.rows === 0) return;
  const act = actCode(opts.act);
  kr.x.gemm_q8(
    qa.ptr,
    qa.rows,
    qa.cols,
    qa.fmt,
    qa.params,
    w.ptr,
    w.n,
    w.scales,
    w.sums,
    opts.bias ?? 0,
    act,
    r ? r.ptr : 0,
    r ? r.ld : 0,
    out.ptr,
    out.ld,
  );
}

/**
 * out = act(a·Wᵀ + bias) + residual with `a` quantized per row in format `fmt` (scratch memory).
 * `out` may be the residual itself.
 */
export function gemmQ8(
  kr: Kernels,
  a: Mat,
  w: PackedQ8,
  out: Mat,
  opts: { bias?: number; act?: Act; residual?: Mat; fmt?: QaCode } = {},
): void {
  // shapes are checked by gemmQ8Quantized (a bad call only wastes the quantization)
  const fmt = opts.fmt ?? QA.u8;
  kr.mem.scratch(() => gemmQ8Quantized(kr, quantizeActForGemm(kr, a, fmt), w, out, opts));
}

/** Symmetric int8 per row of src [rows × cols] (row stride ld floats) into dst / scales. */
export function quantizeRowsQ8(
  kr: Kernels,
  src: number,
  ld: number,
  rows: number,
  cols: number,
  dst: number,
  scales: number,
): void {
  kr.x.quantize_rows_q8(src, ld, rows, cols, dst, scales);
}

/** out[i] = table[ids[i]]·scale; ids must already be checked against the table's rows. */
export function gatherQ8(
  kr: Kernels,
  table: number,
  scales: number,
  cols: number,
  ids: ArrayLike<number>,
  out: Mat,
): void {
  if (out.rows !== ids.length || out.cols !== cols) bad("gather shape");
  if (ids.length === 0) return;
  kr.mem.scratch(() => {
    const p = kr.mem.alloc(ids.length * 4);
    kr.mem.i32(p, ids.length).set(ids);
    kr.x.gather_q8(table, scales, cols, p, ids.length, out.ptr, out.ld);
  });
}
