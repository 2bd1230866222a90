// One loaded adapter: its typed config and, per hook point of the model, the modules its methods
// put there — built from the saved weights by the rules of the library's CLIP wiring
// (models/clip/mixin_clip.py): global layer ids text-then-vision, leave_out, location switches.

import { EdgeClipError } from "../errors.ts";
import type { LinearSite, Tower } from "../model/hooks.ts";
import { layerPath, linearPath, MODULE, TOWER_MODULE } from "../model/names.ts";
import type { Kernels, Owner, OwnerLimit } from "../wasm/kernels.ts";
import {
  type AdapterConfig,
  type BnConfig,
  type LoraConfig,
  methodConfigs,
  type PrefixConfig,
  type ReftConfig,
} from "./config.ts";
import { Bottleneck, bottleneckSize } from "./methods/bottleneck.ts";
import type { FusionConfig, FusionLayer } from "./methods/fusion.ts";
import { NiceCoupling } from "./methods/invertible.ts";
import { LoraModule } from "./methods/lora.ts";
import { type PrefixLayer, prefixLayer, prefixStates } from "./methods/prefix.ts";
import { ReftModule } from "./methods/reft.ts";
import type { AdapterTensors } from "./tensors.ts";

/** What the adapters see of one tower of the loaded model. */
export interface TowerShape {
  readonly tower: Tower;
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly layers: number;
  /** Global id of this tower's layer 0 (text first, then vision). */
  readonly firstId: number;
}

export interface ModelShape {
  readonly towers: readonly TowerShape[];
  /**
   * The current f32 weight [out × in] of a wrapped linear (DoRA's norm); absent when the adapter
   * is only merged (merge.ts: the norm then comes from the weight merged into).
   */
  baseWeight?(tower: Tower, layer: number, site: LinearSite): Float32Array;
}

/** Bottleneck locations: after attention ("mh_adapter") and after the MLP ("output_adapter"). */
export type BnLoc = "mh" | "out";
export const BN_MODULE: Record<BnLoc, string> = {
  mh: "attention_adapters",
  out: "output_adapters",
};

/** A wrapped linear of one encoder layer: where a LoRA sits, or what a merge rewrites. */
export interface SitePlace {
  readonly tower: Tower;
  readonly layer: number;
  readonly linear: LinearSite;
}

/**
 * One record per encoder layer of each tower, made up front for every layer of the model: a
 * lookup by (tower, layer) is an array index, never a parsed key.
 */
export class PerLayer<T> {
  readonly #rows: Record<Tower, T[]> = { text: [], vision: [] };

  constructor(model: ModelShape, make: () => T) {
    for (const tw of model.towers) this.#rows[tw.tower] = Array.from({ length: tw.layers }, make);
  }

  /** The record of a layer, or undefined for a layer the model does not have. */
  at(tower: Tower, layer: number): T | undefined {
    return this.#rows[tower][layer];
  }

  /** Every record with its layer. */
  *entries(): Generator<[Tower, number, T]> {
    for (const tower of ["text", "vision"] as const) {
      const rows = this.#rows[tower];
      for (let i = 0; i < rows.length; i++) yield [tower, i, rows[i]];
    }
  }
}

/** The modules one adapter puts into one encoder layer, by hook point. */
export interface LayerModules {
  readonly lora: Partial<Record<LinearSite, LoraModule>>;
  readonly bottleneck: Partial<Record<BnLoc, Bottleneck>>;
  prefix?: PrefixLayer;
  reft?: ReftModule;
}

/** A loaded AdapterFusion: its config and, per layer, a fusion layer at each of its locations. */
export interface LoadedFusion {
  /** The adapters it fuses, joined by "," (what a Fuse block of them is named). */
  readonly name: string;
  readonly adapterNames: readonly string[];
  readonly cfg: FusionConfig;
  readonly layers: PerLayer<Partial<Record<BnLoc, FusionLayer>>>;
  /** The linear memory of its layers: free() once the fusion is dropped. */
  readonly owner: Owner;
}

export class LoadedAdapter {
  /** Per layer: its modules (empty records where the adapter has none). */
  readonly layers: PerLayer<LayerModules>;
  invertible: NiceCoupling | undefined;

  constructor(
    readonly name: string,
    readonly config: AdapterConfig,
    /** The linear memory of every module: free() once the adapter is dropped. */
    readonly owner: Owner,
    model: ModelShape,
  ) {
    this.layers = new PerLayer(model, () => ({ lora: {}, bottleneck: {} }));
  }

  /** Every LoRA-family module with the linear it wraps. */
  *loras(): Generator<[SitePlace, LoraModule]> {
    for (const [tower, layer, m] of this.layers.entries()) {
      for (const [linear, mod] of Object.entries(m.lora) as [LinearSite, LoraModule][]) {
        yield [{ tower, layer, linear }, mod];
      }
    }
  }

  /** True when some module of this adapter is a LoRA-family one (mergeable). */
  get hasLora(): boolean {
    return !this.loras().next().done;
  }
}

/** What an adapter is built from. */
export interface AdapterSpec {
  /** The name it is registered under (the library's load_as). */
  readonly name: string;
  /** The name inside its weight keys. */
  readonly saved: string;
  readonly config: AdapterConfig;
  readonly tensors: AdapterTensors;
  readonly model: ModelShape;
  /** A cap on the linear memory it may take (the adapter budget). */
  readonly limit?: OwnerLimit;
}

/**
 * Builds an adapter's modules from its weights, in memory of its own owner (all given back when
 * building fails, or when it would pass `limit`).
 */
export function buildAdapter(k: Kernels, spec: AdapterSpec): LoadedAdapter {
  const { name, saved, config, tensors: t, model } = spec;
  return k.owned((o) => {
    const a = new LoadedAdapter(name, config, o, model);
    // a union ("mam" = prefix tuning + parallel bottleneck) builds each of its parts in turn
    for (const c of methodConfigs(config)) {
      if (c.kind === "bottleneck") addBottleneck(o, a, saved, c, t, model);
      else if (c.kind === "lora") addLora(o, a, saved, c, t, model);
      else if (c.kind === "prefix_tuning") addPrefix(o, a, saved, c, t, model);
      else addReft(o, a, saved, c, t, model);
    }
    t.finish();
    return a;
  }, spec.limit);
}

/** Key prefix of encoder layer i ("text_model.encoder.layers.3."); adapter modules follow it. */
const layerKey = (tower: Tower, i: number) => `${layerPath(tower, i)}.`;

function addBottleneck(
  o: Owner,
  a: LoadedAdapter,
  saved: string,
  c: BnConfig,
  t: AdapterTensors,
  m: ModelShape,
) {
  const shared = `shared_parameters.${saved}.`;
  const widths = new Set<number>();
  for (const tw of m.towers) {
    for (let i = 0; i < tw.layers; i++) {
      const g = tw.firstId + i; // leave_out and reduction-factor maps count text, then vision
      if (c.leaveOut.includes(g)) continue;
      for (const loc of ["mh", "out"] as BnLoc[]) {
        if (!(loc === "mh" ? c.mhAdapter : c.outputAdapter)) continue;
        const bns = a.layers.at(tw.tower, i)!.bottleneck;
        if (bns[loc]) {
          throw new EdgeClipError(
            "adapter_format",
            `adapter ${a.name}: two bottleneck configs at ${tw.tower} layer ${i} ${BN_MODULE[loc]}`,
          );
        }
        const D = bottleneckSize(c, tw.hidden, g);
        const p = `${layerKey(tw.tower, i)}${BN_MODULE[loc]}.adapters.${saved}.`;
        bns[loc] = Bottleneck.load(o, a.name, c, t, p, shared, tw.hidden, D);
        widths.add(tw.hidden);
      }
    }
  }
  // shared PHM parameters are one tensor per adapter: both towers must agree on its shape
  if (c.phmLayer && (c.sharedPhmRule || c.sharedWPhm) && widths.size > 1) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `Compacter ${a.name}: shared PHM parameters need equal text and vision hidden sizes ` +
        `(${[...widths].join(" vs ")}); the library raises for this model`,
    );
  }
  // the invertible adapter sits on the text embeddings only (CLIP's "invertible_adapters")
  if (c.invAdapter) {
    const text = m.towers.find((tw) => tw.tower === "text");
    if (!text) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `invertible adapters need a text tower (the library raises for vision models)`,
      );
    }
    a.invertible = NiceCoupling.load(
      o,
      c,
      t,
      `${TOWER_MODULE.text}.invertible_adapters.${saved}.`,
      text.hidden,
    );
  }
}

function addLora(
  o: Owner,
  a: LoadedAdapter,
  saved: string,
  c: LoraConfig,
  t: AdapterTensors,
  m: ModelShape,
) {
  // the library's CLIP wiring: selfattn → q/k/v as attn_matrices lists, intermediate → fc1,
  // output → fc2; out_proj is never wrapped
  const sites: LinearSite[] = [];
  if (c.selfattnLora) {
    for (const s of ["q", "k", "v"] as const) if (c.attnMatrices.includes(s)) sites.push(s);
  }
  if (c.intermediateLora) sites.push("fc1");
  if (c.outputLora) sites.push("fc2");
  for (const tw of m.towers) {
    for (let i = 0; i < tw.layers; i++) {
      if (c.leaveOut.includes(tw.firstId + i)) continue;
      for (const s of sites) {
        const [inF, outF] = s === "fc1"
          ? [tw.hidden, tw.intermediate]
          : s === "fc2"
          ? [tw.intermediate, tw.hidden]
          : [tw.hidden, tw.hidden];
        const p = `${linearPath({ tower: tw.tower, layer: i, linear: s })}.loras.${saved}.`;
        const mod = LoraModule.load(
          o,
          a.name,
          c,
          t,
          p,
          `shared_parameters.${saved}.`,
          inF,
          outF,
          m.baseWeight && (() => m.baseWeight!(tw.tower, i, s)), // read only by DoRA
        );
        a.layers.at(tw.tower, i)!.lora[s] = mod;
      }
    }
  }
}

function addPrefix(
  o: Owner,
  a: LoadedAdapter,
  saved: string,
  c: PrefixConfig,
  t: AdapterTensors,
  m: ModelShape,
) {
  for (const tw of m.towers) {
    const layers = [...Array(tw.layers).keys()].filter((i) => !c.leaveOut.includes(tw.firstId + i));
    if (!layers.length) continue;
    if (tw.hidden % tw.heads) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `prefix tuning: hidden ${tw.hidden} not divisible by ${tw.heads} heads`,
      );
    }
    // one generator per tower location; its output holds keys and values of every kept layer
    // side by side ([P × Lp·2·H]), so the layers index it by their rank among the kept ones
    const loc = `prefix_tuning.prefix_tunings.${saved}.clip_${TOWER_MODULE[tw.tower]}_self_prefix.`;
    const N = layers.length * 2 * tw.hidden;
    const states = o.matFrom(
      prefixStates(o.kernels, c, t, loc, tw.hidden, layers.length),
      c.prefixLength,
      N,
    );
    layers.forEach((i, id) => {
      const gate = c.useGating
        ? `${layerKey(tw.tower, i)}${MODULE.selfAttn}.prefix_tuning.prefix_gates.${saved}.`
        : undefined;
      a.layers.at(tw.tower, i)!.prefix = prefixLayer(
        o,
        a.name,
        states,
        tw.hidden,
        id,
        t,
        gate,
        c.sharedGating ? 1 : 2,
      );
    });
  }
}

function addReft(
  o: Owner,
  a: LoadedAdapter,
  saved: string,
  c: ReftConfig,
  t: AdapterTensors,
  m: ModelShape,
) {
  if (!c.outputReft) return; // the only ReFT location on CLIP is "output"
  for (const tw of m.towers) {
    for (let i = 0; i < tw.layers; i++) {
      const g = tw.firstId + i;
      // `layers` and leave_out both count global ids (text first, then vision)
      if (c.leaveOut.includes(g) || (c.layers !== "all" && !c.layers.includes(g))) continue;
      a.layers.at(tw.tower, i)!.reft = ReftModule.load(
        o,
        a.name,
        c,
        t,
        `${layerKey(tw.tower, i)}reft_layer.refts.${saved}.`,
        tw.hidden,
      );
    }
  }
}
