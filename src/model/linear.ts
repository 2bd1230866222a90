// Linear layers behind one interface, so the CLIP graph never knows the weight format
// (f32 packed panels here; int8 plugs in through a LinearLoader). PyTorch layout: W is
// [out × in], y = x·Wᵀ + b.

import type { Act, Kernels, Mat, PackedF32 } from "../wasm/kernels.ts";
import type { LayerNorm } from "./layer_norm.ts";
import type { WeightScope } from "./weights.ts";

export interface Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly dtype: "f32" | "int8";
  /** Pointer to outFeatures f32 biases in linear memory, or 0. */
  readonly bias: number;
  /**
   * out = act(x·Wᵀ + b) + residual (residual may be `out` itself). `prepared`: what `prepare`
   * returned for this same x (any linear's; one that cannot use it ignores it).
   */
  forward(x: Mat, out: Mat, opts?: LinearOptions): void;
  /**
   * Work on an input that several linears reading it can share (int8: the quantized
   * activations), in the caller's scratch scope; undefined when there is none.
   */
  prepare?(x: Mat): PreparedInput | undefined;
  /** The weight as dense f32 [out × in] (dequantized when stored as int8). */
  readWeight(): Float32Array;
  /** Replaces the weight (re-packed or re-quantized), e.g. when an adapter is merged. */
  writeWeight(w: Float32Array): void;
}

/** Options of Linear.forward. */
export interface LinearOptions {
  act?: Act;
  residual?: Mat;
  prepared?: PreparedInput;
}

/** Opaque result of Linear.prepare, tagged with the kind that made it. */
export interface PreparedInput {
  readonly kind: string;
}

/** Reads `<scope>.weight` [out × in] (and `.bias` [out]) into a Linear of some format. */
export type LinearLoader = (
  scope: WeightScope,
  inFeatures: number,
  outFeatures: number,
  hasBias: boolean,
  input?: LinearInput,
) => Promise<Linear>;

/** What the model knows about a linear's input, for loaders that care (int8 formats). */
export interface LinearInput {
  /** The LayerNorm (already loaded) whose output is this linear's input. */
  readonly norm?: LayerNorm;
}

/** f32 weights packed for gemm_f32. */
export class LinearF32 implements Linear {
  readonly dtype = "f32" as const;
  constructor(
    readonly k: Kernels,
    readonly weight: PackedF32,
    readonly bias: number,
  ) {}

  get inFeatures(): number {
    return this.weight.k;
  }
  get outFeatures(): number {
    return this.weight.n;
  }

  forward(x: Mat, out: Mat, opts: LinearOptions = {}): void {
    this.k.gemmF32(x, this.weight, out, {
      bias: this.bias,
      act: opts.act,
      residual: opts.residual,
    });
  }

  readWeight(): Float32Array {
    return this.k.mem.scratch(() => {
      const dst = this.k.mem.alloc(this.weight.n * this.weight.k * 4);
      this.k.unpackF32(this.weight, dst);
      return this.k.mem.f32(dst, this.weight.n * this.weight.k).slice();
    });
  }

  writeWeight(w: Float32Array): void {
    this.k.mem.scratch(() => {
      const src = this.k.mem.put(w);
      this.k.repackF32(src, this.weight);
    });
  }
}

/** Loads an f32 Linear: the weight goes through scratch memory and is packed in place. */
export const loadLinearF32: LinearLoader = async (scope, inF, outF, hasBias) => {
  const store = scope.store;
  const k = store.k;
  const bias = hasBias ? await scope.f32("bias", [outF]) : 0;
  const packed = k.mem.alloc(k.packedBytes(outF, inF));
  const e = store.entry(scope.key("weight"), [outF, inF]);
  const mark = k.mem.mark();
  try {
    const raw = k.mem.alloc(outF * inF * 4);
    await store.readF32Into(e, raw, outF * inF);
    k.repackF32(raw, { ptr: packed, n: outF, k: inF });
  } finally {
    k.mem.reset(mark);
  }
  return new LinearF32(k, { ptr: packed, n: outF, k: inF }, bias);
};
