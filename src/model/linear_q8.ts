// int8 linear layers: per-output-channel symmetric int8 weights packed for gemm_q8 (or 4-bit
// grouped weights for gemm_q4), activations quantized per row at run time (their format decided
// by q8_policy.ts, and which linears go 4-bit by its Q4Rule). The loader here quantizes an f32
// checkpoint at load; the package reader (package/read.ts) copies packed weights instead.

import { EdgeClipError } from "../errors.ts";
import { Q4_WEIGHTS, Q8_WEIGHTS, type QaCode } from "../wasm/formats.ts";
import type { Kernels, Mat, Owner, Vec } from "../wasm/kernels.ts";
import { isQ4, type PackedInt, type PackedQ4, type QuantizedAct } from "../wasm/q8.ts";
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
import {
  DEFAULT_Q8_POLICY,
  inputFormat,
  inputSpread,
  type Q4Rule,
  type Q8Policy,
} from "./q8_policy.ts";
import type { WeightScope } from "./weights.ts";

/** Activations quantized for gemm_q8 (LinearQ8.prepare). */
interface PreparedQ8 extends PreparedInput {
  readonly kind: "q8";
  readonly x: Mat;
  readonly qa: QuantizedAct;
}

export class LinearQ8 implements Linear {
  constructor(
    readonly k: Kernels,
    /** int8 per channel, or 4-bit groups. */
    readonly weight: PackedInt,
    readonly bias: Vec | undefined,
    /** Activation format of this layer's input. */
    readonly fmt: QaCode,
  ) {}

  get dtype(): "int8" | "int4" {
    return isQ4(this.weight) ? "int4" : "int8";
  }

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

/** Room for the weight of `spec` in `bits` (4 or 8) bits, after checking its width. */
function packedFor(owner: Owner, spec: LinearSpec, bits: 4 | 8, label: string): PackedInt {
  const { inFeatures: inF, outFeatures: outF } = spec;
  const f = bits === 4 ? Q4_WEIGHTS : Q8_WEIGHTS;
  if (inF > f.maxK) {
    throw new EdgeClipError(
      "model_config",
      `${label}: ${inF} input features exceed the int${bits} kernels' limit of ${f.maxK}`,
    );
  }
  return bits === 4 ? owner.packedQ4(outF, inF) : owner.packedQ8(outF, inF);
}

/**
 * Builds the int8 (or 4-bit) linear `spec` asks for: checks its width, reads its bias, and lets
 * `fill` write the packed weight (quantized from f32 here; copied as stored by the package
 * reader).
 */
export async function loadLinearQ8(
  scope: WeightScope,
  spec: LinearSpec,
  opts: { policy: Q8Policy; bits?: 4 | 8; fill: (w: PackedInt) => Promise<void> },
): Promise<LinearQ8> {
  const { k, owner } = scope.store;
  const w = packedFor(owner, spec, opts.bits ?? 8, scope.prefix);
  const bias = spec.bias ? await scope.vec("bias", spec.outFeatures) : undefined;
  await opts.fill(w);
  return new LinearQ8(k, w, bias, inputFormat(opts.policy, k, spec));
}

/**
 * The 4-bit weight of `raw` if the rule keeps it (error within rule.maxError), in `owner`'s
 * memory; undefined when the linear should stay int8. The trial runs in memory of its own.
 */
function tryQ4(
  scope: WeightScope,
  raw: Mat,
  spec: LinearSpec,
  rule: Q4Rule,
): PackedQ4 | undefined {
  const { k, owner } = scope.store;
  const trial = k.owner();
  try {
    const p = packedFor(trial, spec, 4, scope.prefix) as PackedQ4;
    const err = k.q8.quantizePackQ4(raw, p);
    if (!(err <= rule.maxError)) return undefined;
    const kept = owner.packedQ4(p.n, p.k);
    k.copyBuf(p.data, kept.data);
    k.copyBuf(p.scales, kept.scales);
    k.copyBuf(p.sums, kept.sums);
    return kept;
  } finally {
    trial.free();
  }
}

/** True when the rule lets `spec` try 4 bits: a candidate whose input is even enough. */
function may4(rule: Q4Rule | undefined, k: Kernels, spec: LinearSpec): rule is Q4Rule {
  return !!rule?.candidate(spec.place) && (inputSpread(k, spec) ?? 1) <= rule.maxSpread;
}

/** The packed weight of the dense `raw`: 4-bit where `q4` accepts the linear, else int8. */
function packDense(scope: WeightScope, raw: Mat, spec: LinearSpec, q4?: Q4Rule): PackedInt {
  const { k, owner } = scope.store;
  const p4 = may4(q4, k, spec) ? tryQ4(scope, raw, spec, q4) : undefined;
  if (p4) return p4;
  const p8 = packedFor(owner, spec, 8, scope.prefix);
  k.q8.quantizePack(raw, p8);
  return p8;
}

/**
 * Loader that quantizes f32 checkpoint weights at load (the converter runs the same code);
 * `transform` sees each dense f32 weight first (merging adapters at conversion). With a `q4`
 * rule, the linears it accepts store 4-bit weights.
 */
export function quantizingLinearLoader(
  policy: Q8Policy = DEFAULT_Q8_POLICY,
  transform?: WeightTransform,
  q4?: Q4Rule,
): LinearLoader {
  const keptF32 = f32LinearLoader(transform);
  return async (scope, spec) => {
    if (policy.keepF32(spec.place)) return await keptF32(scope, spec);
    const k = scope.store.k;
    const bias = spec.bias ? await scope.vec("bias", spec.outFeatures) : undefined;
    const w = await withDenseWeight(
      scope,
      { ...spec, transform },
      (raw) => packDense(scope, raw, spec, q4),
    );
    return new LinearQ8(k, w, bias, inputFormat(policy, k, spec));
  };
}

/**
 * Loader over `base` (a package's) that re-quantizes what it loads, for the converter: an f32
 * linear the policy quantizes becomes int8 (or 4-bit), an int8 one the `q4` rule accepts becomes
 * 4-bit, from its dequantized weight. The replaced weight stays in the model's memory.
 */
export function requantizingLinearLoader(
  base: LinearLoader,
  policy: Q8Policy = DEFAULT_Q8_POLICY,
  q4?: Q4Rule,
): LinearLoader {
  return async (scope, spec) => {
    const lin = await base(scope, spec);
    const k = scope.store.k;
    if (policy.keepF32(spec.place) || lin.dtype === "int4") return lin;
    const q8 = lin instanceof LinearQ8 ? lin : undefined;
    if (q8 && !may4(q4, k, spec)) return lin;
    const tmp = k.owner();
    try {
      const raw = tmp.mat(spec.outFeatures, spec.inFeatures);
      // an int8 weight is dequantized in place and, if 4 bits are refused, kept as it is
      // (quantizing its dequantized values again would give back the same codes)
      if (q8) k.q8.unpack(q8.weight, raw);
      else k.write(raw, lin.readWeight());
      const w = q8 ? tryQ4(scope, raw, spec, q4!) ?? q8.weight : packDense(scope, raw, spec, q4);
      return new LinearQ8(k, w, lin.bias, inputFormat(policy, k, spec));
    } finally {
      tmp.free();
    }
  };
}
