// Per-linear format decisions: which linears of the model run int8 and in which activation format,
// decided by each linear's typed place (names.ts) and what feeds it. The quantizing loader and the
// package reader ask here, and so does the rule for which of them store 4-bit weights (Q4Rule).

import { ACT_FORMATS, type ActFormatName, QA, type QaCode } from "../wasm/formats.ts";
import type { KernelVariant } from "../wasm/module.ts";
import type { Kernels } from "../wasm/kernels.ts";
import type { LinearSpec } from "./linear.ts";
import type { LayerLinear, LinearPlace } from "./names.ts";
import type { LayerNorm } from "./layer_norm.ts";

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
  // a plain loop: Float64Array.from with a callback allocated ~60 bytes per channel (~1.5 MiB of
  // garbage over a ViT-B/32's LayerNorms)
  const n = gamma.length, r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = Math.abs(gamma[i]) + Math.abs(beta[i]) / 3;
  r.sort();
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
export function inputFormat(policy: Q8Policy, k: Kernels, spec: LinearSpec): QaCode {
  const norm = spec.norm;
  // the spread can only turn u7 into u12: computed only for layers that would run u7
  const spread = norm && policy.actFormat(spec.place, k.variant) === "u7"
    ? inputSpread(k, spec)
    : undefined;
  return layerFormat(policy, spec.place, spec.inFeatures, k.variant, spread);
}

/**
 * Which int8 linears store 4-bit weights when a model is quantized as "int4" (the rest stay as
 * the int8 policy has them; activations keep the policy's format). Decided per linear at
 * conversion (or load): its place, the spread of the LayerNorm feeding it, and the measured
 * error of its 4-bit weight.
 */
export interface Q4Rule {
  /** Linears that may run 4-bit at all. */
  candidate(place: LinearPlace): boolean;
  /** Largest input spread (channelSpread) at which a linear may run 4-bit. */
  readonly maxSpread: number;
  /** Largest relative error ‖W − Ŵ‖ / ‖W‖ of the 4-bit weight Ŵ (the quantizer reports it). */
  readonly maxError: number;
}

/**
 * The default, from bench/anchor/int4_accuracy.ts on the anchor ViT-B/32
 * (bench/results/int4_2026-12-07.md): the image tower's encoder linears and patch embedding
 * 4-bit (min image cosine to torch 0.9967, int8 0.9999); text stays int8 (every text linear
 * 4-bit: 0.954 against int8's 0.9996). Uneven inputs (the int8 policy's spread guard) keep int8:
 * an outlier channel multiplies its column's rounding error. The error bound is about twice what
 * Gaussian weights give (0.067 on every linear of the random checkpoint): it stops a weight
 * whose groups are dominated by a few outliers, which 16 levels per group cannot hold; it has
 * not yet been measured on a trained checkpoint.
 */
export const DEFAULT_Q4_RULE: Q4Rule = Object.freeze({
  candidate: (place: LinearPlace) => place.tower === "vision" && place.linear !== "projection",
  maxSpread: MAX_U7_SPREAD,
  maxError: 0.13,
});

/** The spread of a linear's input when a LayerNorm feeds it (cached per LayerNorm). */
export function inputSpread(k: Kernels, spec: LinearSpec): number | undefined {
  const norm = spec.norm;
  if (!norm) return undefined;
  const s = normSpreads.get(norm) ?? channelSpread(k.readBuf(norm.gamma), k.readBuf(norm.beta));
  normSpreads.set(norm, s);
  return s;
}
