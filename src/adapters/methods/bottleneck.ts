// One bottleneck adapter at one location (adapters methods/modeling.py Adapter / ParallelAdapter):
// pre (which tensor is the input and the adapter residual), the core
// up(act(down(LN_before?(x))))·scaling (·gate) with its residual and LN_after, and post (adding
// the sub-block input r). On CLIP the library passes layer_norm=None, so the "original LN" steps
// are plain residual adds. Compacter (PHM) layers become ordinary linears at load time.

import { EdgeClipError } from "../../errors.ts";
import type { SeqLayout } from "../../model/hooks.ts";
import type { Act, Kernels, Mat, Owner, Vec } from "../../wasm/kernels.ts";
import { adapterActivation } from "../activation.ts";
import type { BnConfig } from "../config.ts";
import { added, clone, layerNorm, type Lin, linear, makeLin, scaleSeqs, seqGates } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";
import { loadPhm } from "./phm.ts";

/** The bottleneck size of a layer: int(H // rf), at least 1; rf may be a per-layer mapping. */
export function bottleneckSize(cfg: BnConfig, hidden: number, globalLayer: number): number {
  let rf = cfg.reductionFactor;
  if (typeof rf !== "number") {
    const m = rf;
    rf = m[String(globalLayer)] ?? m.default;
    if (rf === undefined) {
      throw new EdgeClipError(
        "adapter_format",
        `reduction_factor mapping has no entry for layer ${globalLayer} and no "default"`,
        { key: "reduction_factor" },
      );
    }
  }
  return Math.max(1, Math.floor(hidden / rf));
}

export interface BnPre {
  /** The adapter input. */
  readonly h: Mat;
  /** The adapter's own residual. */
  readonly res: Mat;
  /** Fusion query (when asked for). */
  readonly query?: Mat;
}

export class Bottleneck {
  constructor(
    readonly k: Kernels,
    readonly name: string,
    readonly cfg: BnConfig,
    readonly hidden: number,
    readonly lnBefore: { g: Vec; b: Vec } | undefined,
    readonly down: Lin,
    readonly act: Act,
    readonly up: Lin,
    /** A scalar, or [1 × H] per-channel scales. */
    readonly scaling: number | Mat,
    readonly lnAfter: { g: Vec; b: Vec } | undefined,
    readonly gate: Lin | undefined,
  ) {}

  /** Reads `<prefix>…` (prefix = "...{attention|output}_adapters.adapters.<saved name>."). */
  static load(
    o: Owner,
    name: string,
    cfg: BnConfig,
    t: AdapterTensors,
    prefix: string,
    sharedPrefix: string,
    H: number,
    D: number,
  ): Bottleneck {
    const vec = (key: string, n: number) => o.vecFrom(t.take(prefix + key, [n]));
    let lnBefore;
    let downKey = "adapter_down.0.";
    if (cfg.lnBefore) {
      lnBefore = { g: vec("adapter_down.0.weight", H), b: vec("adapter_down.0.bias", H) };
      downKey = "adapter_down.1.";
    }
    const lin = (key: string, inF: number, outF: number, position: "down" | "up"): Lin => {
      if (cfg.phmLayer) {
        const p = loadPhm(
          { t, layer: prefix + key, shared: sharedPrefix, position },
          cfg,
          inF,
          outF,
        );
        return makeLin(o, p.w, outF, inF, p.b);
      }
      return makeLin(
        o,
        t.take(prefix + key + "weight", [outF, inF]),
        outF,
        inF,
        t.take(prefix + key + "bias", [outF]),
      );
    };
    const down = lin(downKey, H, D, "down");
    const up = lin("adapter_up.", D, H, "up");
    let scaling: number | Mat;
    if (cfg.scaling === "learned") scaling = t.take(prefix + "scaling", [1])[0];
    else if (cfg.scaling === "channel") scaling = o.matFrom(t.take(prefix + "scaling", [H]), 1, H);
    else scaling = cfg.scaling;
    const lnAfter = cfg.lnAfter
      ? { g: vec("adapter_norm_after.weight", H), b: vec("adapter_norm_after.bias", H) }
      : undefined;
    const gate = cfg.useGating
      ? makeLin(o, t.take(prefix + "gate.weight", [1, H]), 1, H, t.take(prefix + "gate.bias", [1]))
      : undefined;
    return new Bottleneck(
      o.kernels,
      name,
      cfg,
      H,
      lnBefore,
      down,
      adapterActivation(cfg.nonLinearity),
      up,
      scaling,
      lnAfter,
      gate,
    );
  }

  /**
   * pre_forward: from the running hidden state h and the sub-block input r. `query` asks for the
   * fusion query too: the state before ("before") or after ("after") the original-LN step.
   */
  pre(h: Mat, r: Mat, query?: "before" | "after"): BnPre {
    // a parallel adapter reads the sub-block's input, not its output
    if (this.cfg.isParallel) return { h: r, res: r, query: query ? r : undefined };
    // residual_before_ln: the adapter's own residual is taken before the original-LN step
    let res = this.cfg.residualBeforeLn ? h : undefined;
    const q0 = query === "before" ? h : undefined;
    // original_ln_before with layer_norm=None (CLIP) is just h + r
    const hh = this.cfg.originalLnBefore ? added(this.k, h, r) : h;
    if (!this.cfg.residualBeforeLn) res = hh;
    return { h: hh, res: res!, query: query === "after" ? hh : q0 };
  }

  /** The adapter core on input x with residual res: returns (output, scaled up-projection). */
  forward(x: Mat, res: Mat, layout: SeqLayout): { out: Mat; up: Mat } {
    const k = this.k;
    const z = this.lnBefore ? layerNorm(k, x, this.lnBefore) : x;
    const down = linear(k, this.down, z, { act: this.act });
    const up = linear(k, this.up, down);
    if (typeof this.scaling === "number") {
      if (this.scaling !== 1) k.affine(up, up, this.scaling);
    } else k.mul(up, this.scaling, up);
    // `up` stays unscaled by the gate: Fuse attends over it (the library's up-projection output)
    const out = clone(k, up);
    if (this.gate) {
      const g = seqGates(k, this.gate, x, layout); // the gate reads x, not LN_before(x)
      scaleSeqs(k, out, layout, g.map((v) => v[0]));
    }
    // a parallel adapter adds no residual of its own: post adds the original output instead
    if (this.cfg.isParallel) {
      if (this.lnAfter) layerNorm(k, out, this.lnAfter, out);
      return { out, up };
    }
    // adapter_residual_before_ln decides whether ln_after sees the residual
    if (this.cfg.adapterResidualBeforeLn) k.add(out, res, out);
    if (this.lnAfter) layerNorm(k, out, this.lnAfter, out);
    if (!this.cfg.adapterResidualBeforeLn) k.add(out, res, out);
    return { out, up };
  }

  /** post_forward: adds the sub-block input r (and, for parallel adapters, the original o). */
  post(h: Mat, o: Mat, r: Mat): Mat {
    const k = this.k;
    let out = h;
    if (this.cfg.isParallel) out = added(k, out, o);
    if (this.cfg.originalLnAfter) out = added(k, out, r);
    return out;
  }
}
