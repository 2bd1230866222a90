// Compacter's PHM layer (adapters methods/modeling.py PHMLayer): the weight of an in→out map is
// Hm = Σ_i kron(C_i, W_i) [in × out], used as y = x·Hm + b (not transposed). Its parameters are
// fixed at inference, so Hm is built once at load time (in f64) and run as an ordinary Linear
// with weight Hmᵀ [out × in].

import { EdgeClipError } from "../../errors.ts";
import type { BnConfig } from "../config.ts";
import type { AdapterTensors } from "../tensors.ts";

/** Where a PHM layer's parameters are read. */
export interface PhmSource {
  readonly t: AdapterTensors;
  /** Per-layer key prefix, e.g. "...adapters.name.adapter_down.0." */
  readonly layer: string;
  /** Shared key prefix "shared_parameters.<saved name>." */
  readonly shared: string;
  /** "down" or "up" (names the shared W_down_* / W_up_* tensors). */
  readonly position: "down" | "up";
}

/** batched [n, a, r] @ [n, r, b] → [n, a, b] (f64). */
export function bmm(
  x: Float32Array,
  y: Float32Array,
  n: number,
  a: number,
  r: number,
  b: number,
): Float64Array {
  const out = new Float64Array(n * a * b);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < a; p++) {
      for (let q = 0; q < b; q++) {
        let s = 0;
        for (let j = 0; j < r; j++) s += x[(i * a + p) * r + j] * y[(i * r + j) * b + q];
        out[(i * a + p) * b + q] = s;
      }
    }
  }
  return out;
}

/**
 * Reads a PHM layer in→out and returns the equivalent Linear weight [out × in] and bias.
 * Missing shared parameters mean the library dropped them when saving (a bare CLIPModel's
 * save_adapter): reported as an incomplete adapter, never invented.
 */
export function loadPhm(
  src: PhmSource,
  cfg: BnConfig,
  inF: number,
  outF: number,
): { w: Float32Array; b: Float32Array | undefined } {
  const n = cfg.phmDim, rank = cfg.phmRank;
  if (inF % n || outF % n) {
    throw new EdgeClipError(
      "adapter_mismatch",
      `Compacter: phm_dim ${n} must divide both ${inF} and ${outF} (hidden size and bottleneck)`,
      { expected: n, found: [inF, outF] },
    );
  }
  const P = inF / n, Q = outF / n;
  const { t } = src;
  const need = (key: string, shape: number[], shared: boolean) => {
    if (shared && !t.has(key)) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `${t.file}: Compacter shared parameter ${key} is missing: the library does not save ` +
          `shared_parameters from a bare CLIPModel; the adapter is incomplete`,
        { key, expected: shape, found: null },
      );
    }
    return t.take(key, shape);
  };
  // W [n, P, Q]
  let W: Float64Array;
  if (cfg.sharedWPhm) {
    if (!cfg.factorizedPhmW) {
      throw new EdgeClipError(
        "adapter_unsupported",
        "Compacter with shared_W_phm and factorized_phm_W=false cannot be created by the library",
      );
    }
    const base = `${src.shared}W_${src.position}_`;
    W = bmm(
      need(base + "left", [n, P, rank], true),
      need(base + "right", [n, rank, Q], true),
      n,
      P,
      rank,
      Q,
    );
  } else if (cfg.factorizedPhmW) {
    W = bmm(
      t.take(src.layer + "W_left", [n, P, rank]),
      t.take(src.layer + "W_right", [n, rank, Q]),
      n,
      P,
      rank,
      Q,
    );
  } else W = Float64Array.from(t.take(src.layer + "W", [n, P, Q]));
  // C [n, n, n]
  const rulePrefix = cfg.sharedPhmRule ? src.shared : src.layer;
  let C: Float64Array;
  if (cfg.factorizedPhmRule) {
    C = bmm(
      need(rulePrefix + "phm_rule_left", [n, n, 1], cfg.sharedPhmRule),
      need(rulePrefix + "phm_rule_right", [n, 1, n], cfg.sharedPhmRule),
      n,
      n,
      1,
      n,
    );
  } else C = Float64Array.from(need(rulePrefix + "phm_rule", [n, n, n], cfg.sharedPhmRule));
  // Hm[r·P+p, c·Q+q] = Σ_i C[i,r,c]·W[i,p,q]; stored transposed as the Linear weight [out × in]
  const w = new Float32Array(outF * inF);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      for (let p = 0; p < P; p++) {
        for (let q = 0; q < Q; q++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += C[(i * n + r) * n + c] * W[(i * P + p) * Q + q];
          w[(c * Q + q) * inF + (r * P + p)] = s;
        }
      }
    }
  }
  const b = cfg.phmBias ? t.take(src.layer + "b", [outF]) : undefined;
  return { w, b };
}
