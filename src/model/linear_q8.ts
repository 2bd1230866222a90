// int8 linear layers: per-output-channel symmetric int8 weights packed for gemm_q8, activations
// quantized per row at run time. Two loaders: quantize an f32 checkpoint at load, or copy the
// packed tensors of an edgeclip package (`<scope>.qweight`, `.qscale`, `.qsum`) as they are.

import { EdgeClipError } from "../errors.ts";
import { type Dtype, DTYPE_BYTES, type TensorEntry } from "../io/safetensors.ts";
import {
  ACT_FORMATS,
  type ActFormatName,
  packedShape,
  paddedN,
  Q8_WEIGHTS,
  QA,
  type QaCode,
} from "../wasm/formats.ts";
import type { KernelVariant } from "../wasm/module.ts";
import type { Buf, Kernels, Mat, Vec } from "../wasm/kernels.ts";
import type { PackedQ8, QuantizedAct } from "../wasm/q8.ts";
import {
  type Linear,
  type LinearLoader,
  type LinearOptions,
  type LinearSpec,
  loadLinearF32,
  type PreparedInput,
  withDenseWeight,
} from "./linear.ts";
import type { LayerLinear, LinearPlace } from "./names.ts";
import type { LayerNorm } from "./layer_norm.ts";
import type { WeightScope, WeightStore } from "./weights.ts";

/** Which linears run int8 and how their activations are quantized, by their place in the model. */
export interface Q8Policy {
  /** Linears kept in f32 (true) instead of int8. */
  keepF32(place: LinearPlace): boolean;
  /**
   * Run-time activation format of an int8 linear (`variant`: the kernel build in use; `spread`:
   * how uneven its input channels are expected to be, when known — channelSpread of the
   * LayerNorm feeding it).
   */
  actFormat(place: LinearPlace, variant: KernelVariant, spread?: number): ActFormatName;
}

/**
 * Largest input spread (channelSpread) at which a policy keeps 7-bit activations. Per-row u7 puts
 * 128 levels on the row's range, and a few channels scaled up by LayerNorm's γ widen that range
 * for every token: measured with bench/anchor/outlier_sim.ts (4 channels of every LayerNorm ×F,
 * the next linear ÷F), image cosine to f32 with u7 is 0.99987 at F = 1–2, 0.99980 at 3, 0.99908 at
 * 10 (u12: 0.99999 throughout). Random-weight checkpoints have spread ~1–1.3; trained ones can
 * have outlier channels, and then run u12 there.
 */
export const MAX_U7_SPREAD = 2.5;

/**
 * How uneven the channels of a LayerNorm's output are expected to be: max / median over channels
 * of |γ| + |β|/3 (a normalized channel spans about ±3 before γ and β). 1 when all are alike.
 */
export function channelSpread(gamma: ArrayLike<number>, beta: ArrayLike<number>): number {
  const r = Float64Array.from(gamma, (g, i) => Math.abs(g) + Math.abs(beta[i]) / 3).sort();
  const n = r.length;
  if (n === 0) return 1;
  const median = n % 2 ? r[(n - 1) / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
  return median > 0 ? r[n - 1] / median : r[n - 1] > 0 ? Infinity : 1;
}

/** u7 where `wanted` and the relaxed dot exist, unless the input's channels are too uneven. */
function u7If(wanted: boolean, variant: KernelVariant, spread?: number): ActFormatName {
  return wanted && variant === "relaxed" && !(spread !== undefined && spread > MAX_U7_SPREAD)
    ? "u7"
    : "u12";
}

/**
 * The default, from measurements on the anchor ViT-B/32 and the golden fixtures (bench/results):
 * - every encoder linear and the patch embedding int8; the two projections f32 (one pooled row
 *   each, so their rounding reaches the embedding unaveraged, at negligible cost);
 * - text: u12 activations (the dot_i16x8_s kernel, as fast as u8, 16× finer steps);
 * - vision: u7 where the relaxed int8 dot exists (~1.5× faster image int8; image cosine to f32
 *   still ≥ 0.9998), else u12;
 * - never u7 on a linear fed by a LayerNorm with uneven channels (spread > MAX_U7_SPREAD).
 */
export const DEFAULT_Q8_POLICY: Q8Policy = Object.freeze({
  keepF32: (place: LinearPlace) => place.linear === "projection",
  actFormat: (place: LinearPlace, variant: KernelVariant, spread?: number): ActFormatName =>
    u7If(place.tower === "vision", variant, spread),
});

/**
 * The default plus u7 on the text linears fed by a LayerNorm (q/k/v, fc1) where the relaxed dot
 * exists; out_proj and fc2, whose inputs (attention mixes, GELU outputs) carry the error the text
 * tower amplifies most, stay u12. Text int8 ~1.25× faster; text cosine to f32 on ViT-B/32 (300
 * random prompts): median 0.99934, min 0.99879 against 0.99966 / 0.99948 with u12 (all-u7: 0.99888
 * on the 4 anchor prompts) — which is why it is not the default.
 */
export const FAST_Q8_POLICY: Q8Policy = withTextU7(["q", "k", "v", "fc1"]);

/** The default plus u7 on the given text encoder linears (FAST_Q8_POLICY, and trials). */
export function withTextU7(text: readonly LayerLinear[]): Q8Policy {
  return Object.freeze({
    keepF32: DEFAULT_Q8_POLICY.keepF32,
    actFormat: (place: LinearPlace, variant: KernelVariant, spread?: number): ActFormatName =>
      u7If(
        place.tower === "vision" || ("layer" in place && text.includes(place.linear)),
        variant,
        spread,
      ),
  });
}

/** Every int8 linear on u12 activations: the most accurate int8 (~1.5× the image int8 time). */
export const HIGH_PRECISION_Q8_POLICY: Q8Policy = Object.freeze({
  keepF32: DEFAULT_Q8_POLICY.keepF32,
  actFormat: (): ActFormatName => "u12",
});

/** loadClip's `int8Precision` settings and the policy each runs. */
export type Int8Precision = "balanced" | "fast" | "high";
export const Q8_POLICIES: Readonly<Record<Int8Precision, Q8Policy>> = Object.freeze({
  balanced: DEFAULT_Q8_POLICY,
  fast: FAST_Q8_POLICY,
  high: HIGH_PRECISION_Q8_POLICY,
});

/** The policy's format for a layer with k inputs (u12 needs k ≤ 4096; wider layers use u8). */
function layerFormat(
  policy: Q8Policy,
  place: LinearPlace,
  k: number,
  variant: KernelVariant,
  spread?: number,
): QaCode {
  const name = policy.actFormat(place, variant, spread);
  return QA[k > ACT_FORMATS[name].maxK ? "u8" : name];
}

// q, k and v read the same LayerNorm: its spread is computed once
const normSpreads = new WeakMap<LayerNorm, number>();

/** layerFormat for a linear whose input may be a known LayerNorm's output. */
function inputFormat(policy: Q8Policy, k: Kernels, spec: LinearSpec): QaCode {
  const norm = spec.norm;
  // the spread can only turn u7 into u12: computed only for layers that would run u7
  let spread: number | undefined;
  if (norm && policy.actFormat(spec.place, k.variant) === "u7") {
    spread = normSpreads.get(norm) ?? channelSpread(k.readBuf(norm.gamma), k.readBuf(norm.beta));
    normSpreads.set(norm, spread);
  }
  return layerFormat(policy, spec.place, spec.inFeatures, k.variant, spread);
}

/** Activations quantized for gemm_q8 (LinearQ8.prepare). */
interface PreparedQ8 extends PreparedInput {
  readonly kind: "q8";
  readonly x: Mat;
  readonly qa: QuantizedAct;
}

/** Dense [out × in] f32 weight hook: adjust (e.g. merge an adapter) before quantization. */
export type WeightTransform = (place: LinearPlace, w: Float32Array) => void;

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

function checkK(scope: WeightScope, inF: number): void {
  if (inF > Q8_WEIGHTS.maxK) {
    throw new EdgeClipError(
      "model_config",
      `${scope.prefix}: ${inF} input features exceed the int8 kernels' limit of ${Q8_WEIGHTS.maxK}`,
    );
  }
}

/**
 * Reads rows [r0, r0 + rows) of a 2-D float tensor (`dst.cols` wide) into `dst`, in its own dtype
 * then widened, so big tables pass through memory a slice at a time.
 */
export async function readRowsF32(
  store: WeightStore,
  e: TensorEntry,
  r0: number,
  dst: Mat,
): Promise<void> {
  const size = DTYPE_BYTES[e.dtype] ?? 0, row = dst.cols * size;
  const part: TensorEntry = {
    ...e,
    begin: e.begin + r0 * row,
    end: e.begin + (r0 + dst.rows) * row,
  };
  await store.readF32Into(part, dst);
}

/** Loader that quantizes f32 checkpoint weights at load (the converter runs the same code). */
export function quantizingLinearLoader(
  policy: Q8Policy = DEFAULT_Q8_POLICY,
  transform?: WeightTransform,
): LinearLoader {
  return async (scope, spec) => {
    if (policy.keepF32(spec.place)) {
      const lin = await loadLinearF32(scope, spec);
      if (!transform) return lin;
      const w = lin.readWeight();
      transform(spec.place, w);
      lin.writeWeight(w);
      return lin;
    }
    const { inFeatures: inF, outFeatures: outF } = spec;
    checkK(scope, inF);
    const { k, owner } = scope.store;
    const bias = spec.bias ? await scope.vec("bias", outF) : undefined;
    const w = owner.packedQ8(outF, inF);
    await withDenseWeight(scope, outF, inF, (raw) => {
      if (transform) k.withView(raw, (v) => transform(spec.place, v));
      k.q8.quantizePack(raw, w);
    });
    return new LinearQ8(k, w, bias, inputFormat(policy, k, spec));
  };
}

/** Copies a tensor's bytes into `dst` after checking its dtype and shape. */
export async function readRaw(
  scope: WeightScope,
  name: string,
  dtype: Dtype,
  shape: readonly number[],
  dst: Buf,
): Promise<void> {
  const store = scope.store;
  const e = store.entry(scope.key(name), shape);
  if (e.dtype !== dtype) {
    throw new EdgeClipError(
      "model_format",
      `${store.file.label}: ${e.name} is ${e.dtype}, an edgeclip package stores it as ${dtype}`,
      { key: e.name, dtype: e.dtype },
    );
  }
  await store.k.withBytes(dst, (bytes) => store.file.read(e, bytes));
}

/**
 * Loader for an edgeclip package: `<scope>.qweight` I8 (packed, formats.ts), `.qscale` F32 and
 * `.qsum` I32 (padded to whole panels) are copied into memory unchanged; a linear stored as
 * `<scope>.weight` (kept f32 by the converter's policy) loads as f32.
 */
export function packagedLinearLoader(policy: Q8Policy = DEFAULT_Q8_POLICY): LinearLoader {
  return async (scope, spec) => {
    if (!scope.has("qweight")) return loadLinearF32(scope, spec);
    const { inFeatures: inF, outFeatures: outF } = spec;
    checkK(scope, inF);
    const { k, owner } = scope.store;
    const bias = spec.bias ? await scope.vec("bias", outF) : undefined;
    const w = owner.packedQ8(outF, inF);
    await readRaw(scope, "qweight", "I8", packedShape(outF, inF), w.data);
    await readRaw(scope, "qscale", "F32", [paddedN(outF)], w.scales);
    await readRaw(scope, "qsum", "I32", [paddedN(outF)], w.sums);
    return new LinearQ8(k, w, bias, inputFormat(policy, k, spec));
  };
}
