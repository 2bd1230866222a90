// Linear layers behind one interface, so the CLIP graph never knows the weight format
// (f32 packed panels here; int8 plugs in through a LinearLoader). PyTorch layout: W is
// [out × in], y = x·Wᵀ + b.

import type { Act, Kernels, Mat, PackedF32, Vec } from "../wasm/kernels.ts";
import type { LayerNorm } from "./layer_norm.ts";
import type { LinearPlace } from "./names.ts";
import type { WeightScope } from "./weights.ts";

export interface Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly dtype: "f32" | "int8" | "int4";
  /** outFeatures f32 biases, if any. */
  readonly bias: Vec | undefined;
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
  /** The weight as dense f32 [out × in] (dequantized when stored as int8 or int4). */
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
export type LinearLoader = (scope: WeightScope, spec: LinearSpec) => Promise<Linear>;

/** What the model asks a LinearLoader for. */
export interface LinearSpec {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  /** Which linear of the model this is (policies and transforms decide by it). */
  readonly place: LinearPlace;
  /** The LayerNorm (already loaded) whose output is this linear's input, if one is. */
  readonly norm?: LayerNorm;
}

/** f32 weights packed for gemm_f32. */
export class LinearF32 implements Linear {
  readonly dtype = "f32" as const;
  constructor(
    readonly k: Kernels,
    readonly weight: PackedF32,
    readonly bias: Vec | undefined,
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
    const k = this.k, w = this.weight;
    return k.scratch(() => {
      const dst = k.mat(w.n, w.k);
      k.unpackF32(w, dst);
      return k.read(dst);
    });
  }

  writeWeight(w: Float32Array): void {
    const k = this.k, p = this.weight;
    k.scratch(() => k.packF32(k.matFrom(w, p.n, p.k), p));
  }
}

/**
 * Dense [out × in] f32 weight hook: adjusts a weight (e.g. merges an adapter) before it is packed
 * or quantized. `w` may be a view of linear memory: a transform must not allocate in the model's
 * kernels.
 */
export type WeightTransform = (place: LinearPlace, w: Float32Array) => void;

/**
 * Reads `<scope>.weight` [out × in] as f32 into a temporary buffer, lets `spec.transform` adjust
 * it, hands it to `use`, frees it.
 */
export async function withDenseWeight<T>(
  scope: WeightScope,
  spec: LinearSpec & { transform?: WeightTransform },
  use: (raw: Mat) => T,
): Promise<T> {
  const { store } = scope, { outFeatures: outF, inFeatures: inF, transform } = spec;
  const e = store.entry(scope.key("weight"), [outF, inF]);
  const tmp = store.k.owner(); // not scratch: the read awaits
  try {
    const raw = tmp.mat(outF, inF);
    await store.readF32Into(e, raw);
    if (transform) store.k.withView(raw, (v) => transform(spec.place, v));
    return use(raw);
  } finally {
    tmp.free();
  }
}

/** An f32 LinearLoader: the weight is read into temporary memory, transformed, and packed. */
export function f32LinearLoader(transform?: WeightTransform): LinearLoader {
  return async (scope, spec) => {
    const { k, owner } = scope.store;
    const { inFeatures: inF, outFeatures: outF } = spec;
    const bias = spec.bias ? await scope.vec("bias", outF) : undefined;
    const packed = owner.packedF32(outF, inF);
    await withDenseWeight(scope, { ...spec, transform }, (raw) => k.packF32(raw, packed));
    return new LinearF32(k, packed, bias);
  };
}

/** Loads an f32 Linear as the checkpoint stores it. */
export const loadLinearF32: LinearLoader = f32LinearLoader();
