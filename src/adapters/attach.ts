// The adapters loaded on one model and the hooks one call hands the model: for an active setup,
// each hook point runs the composition over the modules that live there. Nothing is copied or
// re-packed per call; only the small per-call state (ReFT positions) is created.

import { EdgeClipError } from "../errors.ts";
import type { LayerHooks, LinearSite, ModelHooks, SeqLayout, Tower } from "../model/hooks.ts";
import type { Kernels, Mat, Owner } from "../wasm/kernels.ts";
import { at, type BnLoc, type LoadedAdapter } from "./adapter.ts";
import { type Block, parseSetup, type Setup } from "./composition.ts";
import { runBottleneckLocation } from "./methods/bottleneck_layer.ts";
import type { FusionConfig, FusionLayer } from "./methods/fusion.ts";
import { runLoraSite } from "./methods/lora.ts";
import { runPrefixSite } from "./methods/prefix.ts";
import type { ReftCache } from "./methods/reft.ts";
import { added } from "./ops.ts";

/** A loaded AdapterFusion: its config and one layer per (tower, layer, location). */
export interface LoadedFusion {
  readonly name: string;
  readonly adapterNames: readonly string[];
  readonly cfg: FusionConfig;
  readonly layers: ReadonlyMap<string, FusionLayer>;
  /** The linear memory of its layers: free() once the fusion is dropped. */
  readonly owner: Owner;
}

/** What a call tells the hooks about its inputs. */
export interface CallInfo {
  /** The text attention mask rows, when the call passed one (ReFT positions come from it). */
  readonly textMask?: readonly ArrayLike<number>[];
}

const SITES: readonly LinearSite[] = ["q", "k", "v", "fc1", "fc2"];

export class AdapterSet {
  readonly adapters = new Map<string, LoadedAdapter>();
  readonly fusions = new Map<string, LoadedFusion>();
  /** Linear site ("text/0/q") → the adapter merged into its weight. */
  readonly merged = new Map<string, string>();

  constructor(readonly k: Kernels) {}

  /** Checks a setup against the loaded adapters; returns it normalised (a name → Stack(name)). */
  resolve(setup: Setup): Block {
    const b = parseSetup(setup);
    for (const n of b.flatten()) {
      if (!this.adapters.has(n)) {
        throw new EdgeClipError(
          "adapter_setup",
          `no adapter named ${JSON.stringify(n)} is loaded`,
          { name: n },
        );
      }
    }
    return b;
  }

  /** Hooks of one call running `setup`; both towers of the call share its state. */
  hooks(setup: Block, call: CallInfo): (tower: Tower) => ModelHooks {
    const reft: ReftCache = {};
    const first = this.adapters.get(setup.first())!;
    const names = [...setup.flatten()].map((n) => this.adapters.get(n)!);
    return (tower) => ({
      textEmbeddings: tower === "text" && first.invertible
        ? (h: Mat) => first.invertible!.forward(h)
        : undefined,
      layer: (tw, i) => this.#layer(setup, names, first, tw, i, reft, call),
    });
  }

  #layer(
    setup: Block,
    names: readonly LoadedAdapter[],
    first: LoadedAdapter,
    tower: Tower,
    i: number,
    reft: ReftCache,
    call: CallInfo,
  ): LayerHooks | undefined {
    const k = this.k;
    const where = `${tower} layer ${i}`;
    const sites = new Set(
      SITES.filter((s) =>
        !this.merged.has(at(tower, i, s)) && names.some((a) => a.lora.has(at(tower, i, s)))
      ),
    );
    const bn = (loc: BnLoc) =>
      names.some((a) => a.bottleneck.has(at(tower, i, loc)))
        ? (o: Mat, r: Mat, info: { layout: SeqLayout }) => {
          const out = runBottleneckLocation(
            {
              k,
              where: `${where} ${loc === "mh" ? "mh_adapter" : "output_adapter"}`,
              module: (n) => this.adapters.get(n)?.bottleneck.get(at(tower, i, loc)),
              fusion: (n) => this.fusions.get(n)?.layers.get(at(tower, i, loc)),
            },
            setup,
            o,
            r,
            info.layout,
          );
          return out ?? added(k, o, r);
        }
        : undefined;
    const hasPrefix = names.some((a) => a.prefix.has(at(tower, i)));
    const reftModule = first.reft.get(at(tower, i));
    const hooks: LayerHooks = {
      linearSites: sites.size ? sites : undefined,
      linear: sites.size
        ? (site, x, y, info) =>
          runLoraSite(
            { k, where, site, module: (n) => this.adapters.get(n)?.lora.get(at(tower, i, site)) },
            setup,
            x,
            y,
            info.layout,
          )
        : undefined,
      prefix: hasPrefix
        ? (x, info) =>
          runPrefixSite(
            { k, where, module: (n) => this.adapters.get(n)?.prefix.get(at(tower, i)) },
            setup,
            x,
            info.layout,
          )
        : undefined,
      afterAttention: bn("mh"),
      afterMlp: bn("out"),
      // ReFT runs only for the setup's first adapter (ReftLayer.forward uses setup.first())
      layerOutput: reftModule
        ? (h, info) => reftModule.apply(h, info.layout, reft, call.textMask, where)
        : undefined,
    };
    const any = hooks.linear || hooks.prefix || hooks.afterAttention || hooks.afterMlp ||
      hooks.layerOutput;
    return any ? hooks : undefined;
  }
}
