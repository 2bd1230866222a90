// int8 linear layers: per-output-channel symmetric int8 weights packed for gemm_q8, activations
// quantized per row at run time (their format decided by q8_policy.ts). The loader here quantizes
// an f32 checkpoint at load; the package reader (package/read.ts) copies packed weights instead.

import { EdgeClipError } from "../errors.ts";
import { Q8_WEIGHTS, type QaCode } from "../wasm/formats.ts";
import type { Kernels, Mat, Vec } from "../wasm/kernels.ts";
import type { PackedQ8, QuantizedAct } from "../wasm/q8.ts";
import {
  f32LinearLoader,
  type Linear,
  type LinearLoader,
  type LinearOptions,
  type LinearSpec,
  type PreparedInput,
  type WeightTransform,
  withDenseWeight,
} from "./linear.ts";
import { DEFAULT_Q8_POLICY, inputFormat, type Q8Policy } from "./q8_policy.ts";
import type { WeightScope } from "./weights.ts";

/** Activations quantized for gemm_q8 (LinearQ8.prepare). */
interface PreparedQ8 extends PreparedInput {
  readonly kind: "q8";
  readonly x: Mat;
  readonly qa: QuantizedAct;
}

export class LinearQ8 implements Linear {
  readonly dtype = "int8" as const;
  constructor(
    readonly k: Kernels,
    readonly weight: PackedQ8,
    readonly bias: Vec | undefined,
    /** Activation format of this layer's input. */
    readonly fmt: QaCode,
  ) {}

  get inFeatures(): number {
    return this.weight.k;
  }
  get outFeatures(): number {
    return this.weight.n;
  }

  forward(x: Mat, out: Mat, opts: LinearOptions = {}): void {
    const o = { bias: this.bias, act: opts.act, residual: opts.residual };
    const p = opts.prepared as PreparedQ8 | undefined;
    // made for this very matrix object, in this layer's format
    if (p?.kind === "q8" && p.x === x && p.qa.fmt === this.fmt) {
      this.k.q8.gemmQuantized(p.qa, this.weight, out, o);
    } else this.k.q8.gemm(x, this.weight, out, { ...o, fmt: this.fmt });
  }

  /** Quantizes x once for every int8 linear of this activation format that reads it (q/k/v). */
  prepare(x: Mat): PreparedQ8 {
    return { kind: "q8", x, qa: this.k.q8.quantizeAct(x, this.fmt) };
  }

  /** The dequantized weight q·scale [out × in]. */
  readWeight(): Float32Array {
    const k = this.k, w = this.weight;
    return k.scratch(() => {
      const dst = k.mat(w.n, w.k);
      k.q8.unpack(w, dst);
      return k.read(dst);
    });
  }

  /** Re-quantizes a new f32 weight [out × in] into the same memory. */
  writeWeight(w: Float32Array): void {
    const { n, k } = this.weight;
    if (w.length !== n * k) {
      throw new EdgeClipError("invalid_input", `weight has ${w.length} values, want ${n}×${k}`);
    }
    const kr = this.k;
    kr.scratch(() => kr.q8.quantizePack(kr.matFrom(w, n, k), this.weight));
  }
}

/**
 * Builds the int8 linear `spec` asks for: checks its width, reads its bias, and lets `fill` write
 * the packed weight (quantized from f32 here; copied as stored by the package reader).
 */
export async function loadLinearQ8(
  scope: WeightScope,
  spec: LinearSpec,
  opts: { policy: Q8Policy; fill: (w: PackedQ8) => Promise<void> },
): Promise<LinearQ8> {
  const { inFeatures: inF, outFeatures: outF } = spec;
  if (inF > Q8_WEIGHTS.maxK) {
    throw new EdgeClipError(
      "model_config",
      `${scope.prefix}: ${inF} input features exceed the int8 kernels' limit of ${Q8_WEIGHTS.maxK}`,
    );
  }
  const { k, owner } = scope.store;
  const bias = spec.bias ? await scope.vec("bias", outF) : undefined;
  const w = owner.packedQ8(outF, inF);
  await opts.fill(w);
  return new LinearQ8(k, w, bias, inputFormat(opts.policy, k, spec));
}

/**
 * Loader that quantizes f32 checkpoint weights at load (the converter runs the same code);
 * `transform` sees each dense f32 weight first (merging adapters at conversion).
 */
export function quantizingLinearLoader(
  policy: Q8Policy = DEFAULT_Q8_POLICY,
  transform?: WeightTransform,
): LinearLoader {
  const keptF32 = f32LinearLoader(transform);
  return async (scope, spec) => {
    if (policy.keepF32(spec.place)) return await keptF32(scope, spec);
    const k = scope.store.k;
    return await loadLinearQ8(scope, spec, {
      policy,
      fill: (w) =>
        withDenseWeight(scope, { ...spec, transform }, (raw) => k.q8.quantizePack(raw, w)),
    });
  };
}
