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

/** The matrices of one attention call: q and out [rows × H], key and value [total × H]. */
export interface AttentionMats {
  readonly q: Mat;
  readonly key: Mat;
  readonly value: Mat;
  readonly out: Mat;
}

export interface AttendOptions {
  readonly layout: SeqLayout;
  readonly shape: AttentionShape;
  /** Sequence b's [lengths[b]] additive floats (0 = unmasked, MASK_MIN = padding), if any. */
  readonly keyBias: (b: number) => Vec | undefined;
  /** Keys/values prepended to every sequence, visible to every query (prefix tuning). */
  readonly prefix?: PrefixKV;
  /**
   * One query per sequence, at position queryAt[b]: q and out are then [B × H] with row b that
   * query (keys and values still every row of the sequence).
   */
  readonly queryAt?: readonly number[];
}

/** out[t] = softmax(q_t·Kᵀ/√hd + mask)·V per sequence of the layout. */
export function attendSequences(kernels: Kernels, m: AttentionMats, o: AttendOptions): void {
  const kr = kernels, { layout, shape, prefix, queryAt } = o;
  const scale = 1 / Math.sqrt(shape.headDim); // hd^-0.5, in double then rounded to f32 by the call
  const H = shape.heads * shape.headDim;
  for (let b = 0; b < layout.offsets.length; b++) {
    const off = layout.offsets[b], len = layout.lengths[b];
    if (len === 0) continue;
    // one query at position p is query 0 with the causal diagonal shifted by p
    const qb = queryAt ? kr.view(m.q, b, 1) : kr.view(m.q, off, len);
    const ob = queryAt ? kr.view(m.out, b, 1) : kr.view(m.out, off, len);
    const shift = queryAt ? queryAt[b] : 0;
    let kb = kr.view(m.key, off, len), vb = kr.view(m.value, off, len);
    let bias = o.keyBias(b);
    const P = prefix ? prefix.length : 0;
    kr.scratch(() => {
      if (prefix && P > 0) {
        // [prefix ; keys] and [prefix ; values] for this sequence
        const kk = kr.mat(P + len, H), vv = kr.mat(P + len, H);
        kr.copy(prefix.keys[b], kr.view(kk, 0, P));
        kr.copy(kb, kr.view(kk, P, len));
        kr.copy(prefix.values[b], kr.view(vv, 0, P));
        kr.copy(vb, kr.view(vv, P, len));
        kb = kk;
        vb = vv;
        if (bias) {
          // prefix columns are never masked (the library prepends zeros to the mask)
          const nb = new Float32Array(P + len);
          nb.set(kr.readBuf(bias), P);
          bias = kr.vecFrom(nb);
        }
      }
      kr.attention(qb, kb, vb, ob, {
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
