// The LoRA family on one wrapped linear (adapters methods/lora.py LoRA / IA3 / Vera + DoRA, and
// LoRALinear's composition): deltas computed beside the base GEMM, chained by Stack, sliced by
// BatchSplit, averaged by Average; the last adapter's rule combines them with the base output
// (add for LoRA/VeRA, multiply for IA3, rescale for DoRA). Merging folds one adapter into W.

import { EdgeClipError } from "../../errors.ts";
import type { SeqLayout } from "../../model/hooks.ts";
import type { Kernels, Mat, Owner } from "../../wasm/kernels.ts";
import { type Algebra, averageRows, composeAt, libraryRaises } from "../compose.ts";
import type { Block } from "../composition.ts";
import type { LoraConfig } from "../config.ts";
import { concatRows, type Lin, linear, makeLin, matmul64, scaleSeqs, seqGates } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";

export class LoraModule {
  constructor(
    readonly k: Kernels,
    readonly name: string,
    readonly cfg: LoraConfig,
    readonly inF: number,
    readonly outF: number,
    /** LoRA/VeRA: x ↦ x·Aᵀ [in → r] and ↦ ·Bᵀ [r → out] (VeRA's B = vera_B·B_s·vera_D). */
    readonly a: Lin | undefined,
    readonly b: Lin | undefined,
    /** IA3: the scaling vector [1 × out]. */
    readonly ia3: Mat | undefined,
    readonly gate: Lin | undefined,
    /** DoRA: m/‖W + B·A‖_row [1 × out]. */
    readonly doraScale: Mat | undefined,
    /** Dense unscaled ΔW = B·A [out × in] (LoRA/VeRA) or lora_B [out] (IA3), for merging. */
    readonly delta: Float32Array,
    /** DoRA: the magnitude m [out] (its scale is taken from the merged weight without a base). */
    readonly magnitude?: Float32Array,
  ) {}

  /** alpha/r for LoRA/VeRA, alpha for IA3. */
  get scaling(): number {
    return this.cfg.compositionMode === "scale" ? this.cfg.alpha : this.cfg.alpha / this.cfg.r;
  }

  static load(
    o: Owner,
    name: string,
    cfg: LoraConfig,
    t: AdapterTensors,
    prefix: string, // "...q_proj.loras.<saved name>."
    sharedPrefix: string, // "shared_parameters.<saved name>."
    inF: number,
    outF: number,
    /** The base weight [out × in], for DoRA's norm; absent when the module is only merged. */
    baseWeight: (() => Float32Array) | undefined,
  ): LoraModule {
    const r = cfg.r, k = o.kernels;
    const gate = cfg.useGating
      ? makeLin(
        o,
        t.take(prefix + "gate.weight", [1, inF]),
        1,
        inF,
        t.take(prefix + "gate.bias", [1]),
      )
      : undefined;
    if (cfg.compositionMode === "scale") {
      const v = t.take(prefix + "lora_B", [outF, 1]);
      return new LoraModule(
        k,
        name,
        cfg,
        inF,
        outF,
        undefined,
        undefined,
        o.matFrom(v, 1, outF),
        gate,
        undefined,
        v,
      );
    }
    let A: Float32Array, B: Float32Array;
    if (cfg.veraD !== null || cfg.veraB !== null) {
      // VeRA: shared frozen A_s [r, in], B_s [out, r]; per layer vera_D [r, r], vera_B [out, out]
      A = t.take(sharedPrefix + "lora_A", [r, inF]);
      const Bs = t.take(sharedPrefix + "lora_B", [outF, r]);
      const vD = t.take(prefix + "vera_D", [r, r]), vB = t.take(prefix + "vera_B", [outF, outF]);
      const BsD = matmul64(Bs, vD, { m: outF, k: r, n: r });
      B = Float32Array.from(matmul64(vB, BsD, { m: outF, k: outF, n: r }));
    } else {
      A = t.take(prefix + "lora_A", [r, inF]);
      B = t.take(prefix + "lora_B", [outF, r]);
    }
    // ΔW = B·A (unscaled) in f64, for DoRA's norm and for merging (the deltas run as two GEMMs)
    const delta = Float32Array.from(matmul64(B, A, { m: outF, k: r, n: inF }));
    let doraScale: Mat | undefined, magnitude: Float32Array | undefined;
    if (cfg.useDora) {
      magnitude = t.take(prefix + "m.weight", [outF, 1]);
      if (baseWeight) doraScale = o.matFrom(doraNorm(magnitude, baseWeight(), delta), 1, outF);
    }
    return new LoraModule(
      k,
      name,
      cfg,
      inF,
      outF,
      makeLin(o, A, r, inF),
      makeLin(o, B, outF, r),
      undefined,
      gate,
      doraScale,
      delta,
      magnitude,
    );
  }

  /**
   * compose_single: the delta of this adapter from the running `hidden` (or x when none). In a
   * Stack the next LoRA reads the previous delta, not x (LoRALinear.compose_stack), which is why
   * stacking needs equal widths.
   */
  forward(hidden: Mat | undefined, x: Mat, layout: SeqLayout): Mat {
    const k = this.k;
    let d: Mat;
    if (this.cfg.compositionMode === "scale") {
      // IA3 (composition_mode "scale"): the delta is the scaling vector itself, multiplied into a
      // stacked one; combine() then multiplies it into the base output
      d = k.mat(x.rows, this.outF);
      const v = this.ia3!;
      if (hidden) k.mul(hidden, v, d);
      else {
        k.fill(d, 0); // every row = the vector
        k.add(d, v, d);
      }
    } else {
      const inp = hidden ?? x;
      if (inp.cols !== this.inF) {
        throw new EdgeClipError(
          "adapter_unsupported",
          `stacked LoRA ${this.name}: input width ${inp.cols} ≠ ${this.inF} (the library fails here)`,
        );
      }
      d = linear(k, this.b!, linear(k, this.a!, inp));
    }
    // a gate replaces the alpha/r scaling: one sigmoid mean per sequence, read from x
    if (this.gate) scaleSeqs(k, d, layout, seqGates(k, this.gate, x, layout).map((g) => g[0]));
    else k.affine(d, d, this.scaling);
    return d;
  }

  /** The last adapter's rule: combine the composed delta with the base output y, in place. */
  combine(y: Mat, hidden: Mat): void {
    const k = this.k;
    if (this.cfg.compositionMode === "scale") k.mul(y, hidden, y);
    else if (this.cfg.useDora) {
      // DoRA rescales the whole output (bias included) by m/‖W + ΔW‖, fixed at load
      k.add(y, hidden, y);
      k.mul(y, this.doraScale!, y);
    } else k.add(y, hidden, y);
  }

  /** The merged weight W' for base weight W [out × in] (merge_adapter). */
  merged(W: Float32Array): Float32Array {
    if (this.cfg.useGating) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `cannot merge ${this.name}: LoRA layers with gating cannot be merged`,
      );
    }
    const out = new Float32Array(W.length), s = this.scaling, I = this.inF;
    if (this.cfg.compositionMode === "scale") {
      for (let i = 0; i < this.outF; i++) {
        for (let j = 0; j < I; j++) out[i * I + j] = W[i * I + j] * (this.delta[i] * s); // bias not scaled
      }
    } else if (this.cfg.useDora) {
      // m / ‖W + BA‖ from the base weight at load, else from the weight merged into
      const m = this.doraScale
        ? this.k.read(this.doraScale)
        : doraNorm(this.magnitude!, W, this.delta);
      for (let i = 0; i < W.length; i++) out[i] = m[Math.floor(i / I)] * (W[i] + this.delta[i]);
    } else for (let i = 0; i < W.length; i++) out[i] = W[i] + this.delta[i] * s;
    return out;
  }
}

/** DoRA's per-row scale m / ‖W + B·A‖ (unscaled ΔW, as the library's weight norm) [out]. */
function doraNorm(m: Float32Array, W: Float32Array, delta: Float32Array): Float32Array {
  const outF = m.length, inF = W.length / outF;
  const sc = new Float32Array(outF);
  for (let i = 0; i < outF; i++) {
    let s = 0;
    for (let j = 0; j < inF; j++) s += (W[i * inF + j] + delta[i * inF + j]) ** 2;
    sc[i] = m[i] / Math.sqrt(s);
  }
  return sc;
}

/** The loras of one linear site, by adapter name. */
export interface LoraSite {
  readonly k: Kernels;
  module(name: string): LoraModule | undefined;
  /** For messages: "text layer 0 q". */
  readonly where: string;
}

/** LoRALinear's state: the linear's input x and the delta composed so far (none yet: undefined). */
interface State {
  readonly x: Mat;
  readonly hidden: Mat | undefined;
  /** The last adapter that produced a delta: its rule combines it with the base output. */
  readonly last?: string;
  readonly layout: SeqLayout;
}

/** Applies `setup` to the output y of the linear whose input is x (in place). */
export function runLoraSite(site: LoraSite, setup: Block, x: Mat, y: Mat, layout: SeqLayout): void {
  const s = composeAt(algebra(site), setup, { x, hidden: undefined, layout });
  if (!s) return;
  const last = s.last !== undefined ? site.module(s.last) : undefined;
  if (!last || !s.hidden) {
    libraryRaises(site.where, "the composition produced no LoRA output in this layer");
  }
  last.combine(y, s.hidden);
}

/** Stack chains the deltas, BatchSplit slices the rows, Average weights the deltas. */
function algebra(site: LoraSite): Algebra<State> {
  const k = site.k;
  // a child without a delta (no module in this layer) leaves None in the library's list
  const deltas = (states: readonly State[], child: string): Mat[] =>
    states.map((x) => x.hidden ?? libraryRaises(site.where, `${child} has no LoRA in this layer`));
  return {
    where: site.where,
    method: "LoRA",
    has: (name) => site.module(name) !== undefined,
    single: (name, s) => ({
      ...s,
      hidden: site.module(name)!.forward(s.hidden, s.x, s.layout),
      last: name,
    }),
    layout: (s) => s.layout,
    vslice: (s, part) => ({
      x: k.view(s.x, part.r0, part.rows),
      hidden: s.hidden && k.view(s.hidden, part.r0, part.rows),
      last: s.last,
      layout: part.layout,
    }),
    concat(parts, whole) {
      const hs = deltas(parts, "a BatchSplit child");
      const cols = hs[0].cols;
      if (!hs.every((h) => h.cols === cols)) {
        libraryRaises(site.where, "BatchSplit children disagree in width");
      }
      return { ...whole, hidden: concatRows(k, hs, cols), last: parts[parts.length - 1].last };
    },
    mean: (states, b) => ({
      ...states[0],
      hidden: averageRows(k, site.where, deltas(states, "an Average child"), b.weights),
      last: states[states.length - 1].last,
    }),
  };
}
