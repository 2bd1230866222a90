// Naive references (llama2.c style loops, double accumulation) for the linear-algebra kernels.

import type { ActName } from "../../src/wasm/abi.ts";
import { ACT_REF } from "./activation.ts";

/**
 * out[m×n] = act(a[m×k] · w[n×k]ᵀ + bias[n]) + res[m×n].
 */
export function gemmRef(
  a: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
  opts: { bias?: Float32Array; act?: ActName; residual?: Float32Array } = {},
): Float32Array {
  const out = new Float32Array(m * n);
  const f = ACT_REF[opts.act ?? "none"];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * w[j * k + t];
      if (opts.bias) s += opts.bias[j];
      s = f(Math.fround(s));
      if (opts.residual) s += opts.residual[i * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Layer norm of each row of x[rows×cols] (biased variance). */
export function layerNormRef(
  x: Float32Array,
  rows: number,
  cols: number,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  eps: number,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[r * cols + c];
    mean /= cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - mean) ** 2;
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < cols; c++) {
      let y = (x[r * cols + c] - mean) * rs;
      if (gamma) y *= gamma[c];
      if (beta) y += beta[c];
      out[r * cols + c] = y;
    }
  }
  return out;
}

/** Softmax of each row. */
export function softmaxRef(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c] - m) / s;
  }
  return out;
}

/**
 * Multi-head attention of one sequence; q [sq×H], k/v [sk×H] dense with H = heads·hd.
 * Masking as the kernel: additive keyBias[j], and the f32 minimum where causal and j > i + shift.
 */
export function attentionRef(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  sq: number,
  sk: number,
  heads: number,
  hd: number,
  scale: number,
  opts: { causal?: boolean; shift?: number; keyBias?: Float32Array } = {},
): Float32Array {
  const H = heads * hd;
  const out = new Float32Array(sq * H);
  const F32_MIN = -3.4028234663852886e38;
  const s = new Float64Array(sk);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < sq; i++) {
      let m = -Infinity;
      for (let j = 0; j < sk; j++) {
        let d = 0;
        for (let t = 0; t < hd; t++) d += q[i * H + h * hd + t] * k[j * H + h * hd + t];
        let bias = opts.keyBias ? opts.keyBias[j] : 0;
        if (opts.causal && j > i + (opts.shift ?? 0)) bias = Math.fround(bias + F32_MIN);
        s[j] = Math.fround(d * scale + bias);
        m = Math.max(m, s[j]);
      }
      let sum = 0;
      for (let j = 0; j < sk; j++) sum += s[j] = Math.exp(s[j] - m);
      for (let t = 0; t < hd; t++) {
        let acc = 0;
        for (let j = 0; j < sk; j++) acc += (s[j] / sum) * v[j * H + h * hd + t];
        out[i * H + h * hd + t] = acc;
      }
    }
  }
  return out;
}

/** Patches of img [ch×h×w] with stride = kernel = p → [(h/p)(w/p) × ch·p·p] in (c, y, x) order. */
export function im2colRef(
  img: Float32Array,
  ch: number,
  h: number,
  w: number,
  p: number,
): Float32Array {
  const gh = Math.floor(h / p), gw = Math.floor(w / p), len = ch * p * p;
  const out = new Float32Array(gh * gw * len);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let o = (gy * gw + gx) * len;
      for (let c = 0; c < ch; c++) {
        for (let y = 0; y < p; y++) {
          for (let x = 0; x < p; x++) out[o++] = img[(c * h + gy * p + y) * w + gx * p + x];
        }
      }
    }
  }
  return out;
}
