// Multi-head self-attention over packed sequences: q/k/v projections for all tokens at once
// (linear layers are per token), then the fused attention kernel per sequence (attention stays
// within a row). Optional prefix keys/values are prepended per sequence, visible to every query.

import type { Kernels, Mat, Vec } from "../wasm/kernels.ts";
import type { PrefixKV, SeqLayout } from "./hooks.ts";

/** HF's additive mask value: torch.finfo(float32).min. */
export const MASK_MIN = -3.4028234663852886e38;

export interface AttentionShape {
  readonly heads: number;
  readonly headDim: number;
  /** Text: causal (each query sees keys up to its own position). */
  readonly causal: boolean;
}

/**
 * out[t] = softmax(q_t·Kᵀ/√hd + mask)·V per sequence of `layout`.
 * keyBias(b): lengths[b] additive floats (0 = unmasked, MASK_MIN = padding), or undefined.
 * queryAt: only one query per sequence, at position queryAt[b]; q and out are then [B × H] with
 * row b that query (keys and values still every row of the sequence).
 */
export function attendSequences(
  k: Kernels,
  q: Mat,
  key: Mat,
  value: Mat,
  out: Mat,
  layout: SeqLayout,
  shape: AttentionShape,
  keyBias: (b: number) => Vec | undefined,
  prefix?: PrefixKV,
  queryAt?: readonly number[],
): void {
  const scale = 1 / Math.sqrt(shape.headDim); // hd^-0.5, in double then rounded to f32 by the call
  const H = shape.heads * shape.headDim;
  for (let b = 0; b < layout.offsets.length; b++) {
    const o = layout.offsets[b], len = layout.lengths[b];
    if (len === 0) continue;
    // one query at position p is query 0 with the causal diagonal shifted by p
    const qb = queryAt ? k.view(q, b, 1) : k.view(q, o, len);
    const ob = queryAt ? k.view(out, b, 1) : k.view(out, o, len);
    const shift = queryAt ? queryAt[b] : 0;
    let kb = k.view(key, o, len), vb = k.view(value, o, len);
    let bias = keyBias(b);
    const P = prefix ? prefix.length : 0;
    k.scratch(() => {
      if (prefix && P > 0) {
        // [prefix ; keys] and [prefix ; values] for this sequence
        const kk = k.mat(P + len, H), vv = k.mat(P + len, H);
        k.copy(prefix.keys[b], k.view(kk, 0, P));
        k.copy(kb, k.view(kk, P, len));
        k.copy(prefix.values[b], k.view(vv, 0, P));
        k.copy(vb, k.view(vv, P, len));
        kb = kk;
        vb = vv;
        if (bias) {
          // prefix columns are never masked (the library prepends zeros to the mask)
          const nb = new Float32Array(P + len);
          nb.set(k.readBuf(bias), P);
          bias = k.vecFrom(nb);
        }
      }
      k.attention(qb, kb, vb, ob, {
        heads: shape.heads,
        headDim: shape.headDim,
        scale,
        causal: shape.causal,
        shift: P + shift,
        keyBias: bias,
      });
    });
  }
}
