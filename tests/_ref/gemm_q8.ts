// Naive reference of gemm_q8 (llama2.c-style loops): exact integer sums, then the kernel's f32
// epilogue one rounding at a time. With act "none" the kernel must match it bit for bit.

import type { ActName } from "../../src/wasm/abi.ts";
import { ACT_REF } from "./activation.ts";

const f = Math.fround;

/** Quantized activations [m × k]: q in [0, qmax], x ≈ scale·(q − zero) per row. */
export interface RefActs {
  readonly q: ArrayLike<number>;
  readonly scales: ArrayLike<number>;
  readonly zeros: ArrayLike<number>;
}

/** Quantized weights [n × k]: q in [-127, 127], per-channel scale and Σq. */
export interface RefWeights {
  readonly q: ArrayLike<number>;
  readonly scales: ArrayLike<number>;
  readonly sums: ArrayLike<number>;
}

/** acc[r, c] = Σ_k qa[r, k]·qw[c, k] as int32 (exact: the products are small integers). */
export function gemmQ8AccRef(
  a: RefActs,
  w: RefWeights,
  m: number,
  k: number,
  n: number,
): Int32Array {
  const acc = new Int32Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a.q[r * k + t] * w.q[c * k + t];
      acc[r * n + c] = s;
    }
  }
  return acc;
}

/**
 * out[r, c] = act(f32(acc − z_r·Σq_c)·(s_r·s_c) + bias[c]) + res[r, c], rounding to f32 after every
 * operation as the kernel does. The activation is the double-precision reference (the kernel's
 * polynomial differs by a few ulp), so only act "none" is exact.
 */
export function gemmQ8Ref(
  a: RefActs,
  w: RefWeights,
  m: number,
  k: number,
  n: number,
  opts: { bias?: ArrayLike<number>; act?: ActName; residual?: ArrayLike<number> } = {},
): Float32Array {
  const acc = gemmQ8AccRef(a, w, m, k, n);
  const act = ACT_REF[opts.act ?? "none"];
  const out = new Float32Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < n; c++) {
      const t = (acc[r * n + c] - Math.imul(a.zeros[r], w.sums[c])) | 0;
      let y = f(f(t) * f(a.scales[r] * w.scales[c]));
      if (opts.bias) y = f(y + opts.bias[c]);
      if (opts.act && opts.act !== "none") y = f(act(y));
      if (opts.residual) y = f(y + opts.residual[r * n + c]);
      out[r * n + c] = y;
    }
  }
  return out;
}
