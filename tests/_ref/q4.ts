// Reference 4-bit weight quantization in plain TypeScript: the exact integers and bytes of
// assembly/quantize_q4.ts, one f32 operation at a time (Math.fround), the group error in the
// kernel's 4 lanes and order, and the byte layout written out index by index.

import { packedBytes, paddedN, padK, Q4_WEIGHTS } from "../../src/wasm/formats.ts";
import { roundHalfEven } from "./q8.ts";

const f = Math.fround;
const { group: G, mmax: MMAX, nr: NR } = { ...Q4_WEIGHTS, mmax: Q4_WEIGHTS.mmax! };
const CANDIDATES = 5;

/**
 * A packed 4-bit weight: its bytes, channel scales d, Σ m·q, the dense int8 values m·q, and the
 * summed squared error and norm the kernel reports.
 */
export interface PackedQ4Data {
  readonly error: number;
  readonly norm: number;
  readonly n: number;
  readonly k: number;
  readonly packed: Uint8Array;
  readonly scales: Float32Array;
  readonly sums: Int32Array;
  /** m·q per weight, [n × k] (what the int32 sums multiply). */
  readonly q: Int8Array;
}

function level(v: number, inv: number): number {
  const r = roundHalfEven(f(v * inv));
  return r < -8 ? -8 : r > 7 ? 7 : r;
}

/** Σ (v − q·d·m)² in the kernel's lanes and order; m = 0: Σ v². */
function groupError(x: Float32Array, d: number, m: number): number {
  const dm = f(d * m), inv = m ? f(1 / dm) : 0;
  const lane = [0, 0, 0, 0];
  x.forEach((v, i) => {
    const r = f(v - f(level(v, inv) * dm));
    lane[i & 3] = f(lane[i & 3] + f(r * r));
  });
  return f(f(lane[0] + lane[2]) + f(lane[1] + lane[3]));
}

function groupMultiplier(x: Float32Array, d: number): [number, number] {
  let gmax = 0;
  for (const v of x) gmax = Math.max(gmax, Math.abs(v));
  const top = Math.min(Math.max(Math.ceil(f(gmax / f(d * 7))), 1), MMAX);
  let best = top, bestErr = Infinity;
  for (let m = Math.max(1, top - CANDIDATES + 1); m <= top; m++) {
    const e = groupError(x, d, m);
    if (e < bestErr) (bestErr = e), (best = m);
  }
  return [best, bestErr];
}

/** Byte offset of group gi's multipliers for column c, within the packed weight. */
export function multiplierIndex(c: number, gi: number, k: number): number {
  const panel = packedBytes(NR, k, Q4_WEIGHTS);
  const l = c % NR;
  return Math.floor(c / NR) * panel + 48 * (gi + (gi * G) / 8) + 16 * (l >> 2) + 4 * (l & 3);
}

/** Byte holding W[c][kk]'s nibble (low for kk mod 8 < 4, high otherwise). */
export function nibbleIndex(c: number, kk: number, k: number): number {
  const panel = packedBytes(NR, k, Q4_WEIGHTS);
  const l = c % NR, gi = Math.floor(kk / G);
  return Math.floor(c / NR) * panel + 48 * (gi + 1 + (kk >> 3)) + 16 * (l >> 2) + 4 * (l & 3) +
    (kk & 3);
}

/** Quantizes W [n × k] (row-major f32) into the 4-bit layout. */
export function quantizeWeightsQ4(w: ArrayLike<number>, n: number, k: number): PackedQ4Data {
  let error = 0, norm = 0;
  const np = paddedN(n, Q4_WEIGHTS);
  const packed = new Uint8Array(packedBytes(n, k, Q4_WEIGHTS));
  const scales = new Float32Array(np), sums = new Int32Array(np), q = new Int8Array(n * k);
  const row = new Float32Array(k);
  for (let c = 0; c < n; c++) {
    row.set(Array.prototype.slice.call(w, c * k, (c + 1) * k));
    let amax = 0;
    for (const v of row) amax = Math.max(amax, Math.abs(v));
    let d = f(amax / (8 * MMAX));
    if (!(d >= 2 ** -126 && d < Infinity)) d = 0;
    let sum = 0;
    for (let g0 = 0; d > 0 && g0 < padK(k); g0 += G) {
      const gi = g0 / G, len = Math.min(G, k - g0);
      if (len <= 0) break;
      const x = row.subarray(g0, g0 + len);
      const [m, e] = groupMultiplier(x, d);
      error += e;
      norm += groupError(x, 0, 0);
      const mi = multiplierIndex(c, gi, k);
      packed[mi] = packed[mi + 2] = m; // i16 little-endian, m < 256
      const inv = f(1 / f(d * m));
      for (let kk = g0; kk < g0 + len; kk++) {
        const s = level(row[kk], inv);
        q[c * k + kk] = m * s;
        sum += m * s;
        packed[nibbleIndex(c, kk, k)] |= (s & 15) << (kk & 4 ? 4 : 0);
      }
    }
    scales[c] = d;
    sums[c] = sum;
  }
  return { n, k, packed, scales, sums, q, error, norm };
}

/** (m·q)·d in f32, [n × k]. */
export function dequantizeQ4(p: PackedQ4Data): Float32Array {
  const out = new Float32Array(p.n * p.k);
  for (let c = 0; c < p.n; c++) {
    for (let i = 0; i < p.k; i++) out[c * p.k + i] = f(p.q[c * p.k + i] * p.scales[c]);
  }
  return out;
}
