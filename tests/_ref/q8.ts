// Reference int8 quantization in plain TypeScript (ggml's quantize_row_*_ref): the exact integer
// semantics of assembly/quantize_q8.ts, one f32 operation at a time (Math.fround), so tests can
// demand bit-identical results.

import { type ActFormat, paddedN, padK, Q8_MR, Q8_WEIGHTS } from "../../src/wasm/formats.ts";

const f = Math.fround;

/** IEEE round-half-to-even (what f32x4.nearest does). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Symmetric int8 of one row: scale = amax/127, q = round(x·127/amax); all-zero → scale 0. */
export function quantizeRowQ8(x: ArrayLike<number>): { q: Int8Array; scale: number } {
  const W = Q8_WEIGHTS.wmax;
  let amax = 0;
  for (let i = 0; i < x.length; i++) amax = Math.max(amax, Math.abs(x[i]));
  let scale = 0, inv = 0;
  if (amax > 0) {
    scale = f(amax / W);
    inv = f(W / amax);
  }
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = roundHalfEven(f(x[i] * inv));
    q[i] = Number.isNaN(v) ? 0 : clamp(v, -W, W);
  }
  return { q, scale };
}

/** q · scale in f32. */
export function dequantizeRowQ8(q: ArrayLike<number>, scale: number): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = f(q[i] * scale);
  return out;
}

/**
 * Asymmetric per-row activation quantization: the range [min(x, 0), max(x, 0)] in qmax + 1
 * levels, x ≈ scale·(q − zero). A row of zeros (or NaN) gives scale 0, zero 0, q 0.
 */
export function quantizeActRow(
  x: ArrayLike<number>,
  fmt: ActFormat,
): { q: Uint16Array; scale: number; zero: number } {
  const L = fmt.qmax;
  let lo = 0, hi = 0;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  const d = f(hi - lo);
  let scale = 0, inv = 0, zero = 0;
  if (d > 0) {
    scale = f(d / L);
    inv = f(L / d);
    const z = roundHalfEven(f(-lo * inv));
    zero = Number.isNaN(z) ? 0 : clamp(z, 0, L);
  }
  const q = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = roundHalfEven(f(x[i] * inv));
    q[i] = clamp((Number.isNaN(v) ? 0 : v) + zero, 0, L);
  }
  return { q, scale, zero };
}

/** A weight in gemm_q8's packed layout with its per-channel scales and Σq (padded to panels). */
export interface PackedQ8Data {
  readonly n: number;
  readonly k: number;
  readonly packed: Int8Array;
  readonly scales: Float32Array;
  readonly sums: Int32Array;
}

/** Byte offset of W[c][kk] in the packed layout. */
export function packedIndex(c: number, kk: number, k: number): number {
  const { nr, kg } = Q8_WEIGHTS;
  return Math.floor(c / nr) * padK(k) * nr + Math.floor(kk / kg) * nr * kg + (c % nr) * kg +
    (kk % kg);
}

/** Quantizes W [n × k] (row-major f32) per output channel and packs it. */
export function quantizeWeightsQ8(w: ArrayLike<number>, n: number, k: number): PackedQ8Data {
  const np = paddedN(n);
  const packed = new Int8Array(np * padK(k));
  const scales = new Float32Array(np), sums = new Int32Array(np);
  const row = new Float32Array(k);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i++) row[i] = w[c * k + i];
    const { q, scale } = quantizeRowQ8(row);
    scales[c] = scale;
    let s = 0;
    for (let i = 0; i < k; i++) {
      packed[packedIndex(c, i, k)] = q[i];
      s += q[i];
    }
    sums[c] = s;
  }
  return { n, k, packed, scales, sums };
}

/** The int8 values of a packed weight as a dense [n × k] array. */
export function unpackQ8(p: PackedQ8Data): Int8Array {
  const out = new Int8Array(p.n * p.k);
  for (let c = 0; c < p.n; c++) {
    for (let i = 0; i < p.k; i++) out[c * p.k + i] = p.packed[packedIndex(c, i, p.k)];
  }
  return out;
}

/** Quantized activation rows: q [m × k] dense, per-row scale and zero point. */
export interface ActQ8Data {
  readonly m: number;
  readonly k: number;
  readonly q: Uint16Array;
  readonly scales: Float32Array;
  readonly zeros: Int32Array;
}

/** Quantizes m rows of x [m × k] (row-major) in format fmt. */
export function quantizeActQ8(
  x: ArrayLike<number>,
  m: number,
  k: number,
  fmt: ActFormat,
): ActQ8Data {
  const q = new Uint16Array(m * k);
  const scales = new Float32Array(m), zeros = new Int32Array(m);
  const row = new Float32Array(k);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < k; i++) row[i] = x[r * k + i];
    const a = quantizeActRow(row, fmt);
    q.set(a.q, r * k);
    scales[r] = a.scale;
    zeros[r] = a.zero;
  }
  return { m, k, q, scales, zeros };
}

/** Activation rows in the packed block layout (bytes as the kernel stores them, little-endian). */
export function packActQ8(a: ActQ8Data, fmt: ActFormat): Uint8Array {
  const kp = padK(a.k), mp = Math.ceil(a.m / Q8_MR) * Q8_MR;
  const out = new Uint8Array(mp * kp * fmt.bytes);
  for (let r = 0; r < a.m; r++) {
    for (let i = 0; i < a.k; i++) {
      const el = Math.floor(r / Q8_MR) * kp * Q8_MR + Math.floor(i / 4) * 16 + (r % Q8_MR) * 4 +
        (i % 4);
      const v = a.q[r * a.k + i];
      out[el * fmt.bytes] = v & 0xff;
      if (fmt.bytes === 2) out[el * 2 + 1] = v >> 8; // little-endian i16
    }
  }
  return out;
}
