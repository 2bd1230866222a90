// The hooks one call hands the model: for its adapter setup, each hook point of a layer runs the
// composition over the modules that live there. Nothing is copied or re-packed per call; only the
// small per-call state (ReFT positions) is created.

import type { LayerHooks, LinearSite, ModelHooks, SeqLayout, Tower } from "../model/hooks.ts";
import type { Kernels, Mat } from "../wasm/kernels.ts";
import type { BnLoc, LayerModules, LoadedAdapter, LoadedFusion } from "./adapter.ts";
import type { Block } from "./composition.ts";
import { runBottleneckLocation } from "./methods/bottleneck_layer.ts";
import { runLoraSite } from "./methods/lora.ts";
import { runPrefixSite } from "./methods/prefix.ts";
import type { ReftCache } from "./methods/reft.ts";
import { added } from "./ops.ts";

/** What a call tells the hooks about its inputs. */
export interface CallInfo {
  /** The text attention mask rows, when the call passed one (ReFT positions come from it). */
  readonly textMask?: readonly ArrayLike<number>[];
}

/** What the hooks read of a model's adapters (AdapterHost gives it). */
export interface HookSources {
  readonly kernels: Kernels;
  adapter(name: string): LoadedAdapter | undefined;
  fusion(name: string): LoadedFusion | undefined;
  /** True when an adapter is merged into this linear: its LoRA paths are skipped then. */
  isMerged(tower: Tower, layer: number, site: LinearSite): boolean;
}

const SITES: readonly LinearSite[] = ["q", "k", "v", "fc1", "fc2"];
const BN_WHERE: Record<BnLoc, string> = { mh: "mh_adapter", out: "output_adapter" };

/** Hooks of one call running `setup` (already resolved); both towers share its state. */
export function callHooks(src: HookSources, setup: Block, call: CallInfo): ModelHooks {
  const reft: ReftCache = {};
  const first = src.adapter(setup.first())!;
  const used = [...setup.flatten()].map((n) => src.adapter(n)!);
  return {
    textEmbeddings: first.invertible ? (h: Mat) => first.invertible!.forward(h) : undefined,
    layer: (tower, i) => layerHooks(src, { setup, used, first, tower, i, reft, call }),
  };
}

interface LayerCall {
  readonly setup: Block;
  /** The setup's adapters. */
  readonly used: readonly LoadedAdapter[];
  readonly first: LoadedAdapter;
  readonly tower: Tower;
  readonly i: number;
  readonly reft: ReftCache;
  readonly call: CallInfo;
}

function layerHooks(src: HookSources, c: LayerCall): LayerHooks | undefined {
  const { setup, tower, i } = c;
  const k = src.kernels, where = `${tower} layer ${i}`;
  /** Adapter `n`'s modules in this layer. */
  const mods = (n: string): LayerModules | undefined => src.adapter(n)?.layers.at(tower, i);
  const sites = new Set(
    SITES.filter((s) =>
      !src.isMerged(tower, i, s) && c.used.some((a) => a.layers.at(tower, i)?.lora[s])
    ),
  );
  const bn = (loc: BnLoc) =>
    c.used.some((a) => a.layers.at(tower, i)?.bottleneck[loc])
      ? (o: Mat, r: Mat, info: { layout: SeqLayout }) => {
        const location = {
          k,
          where: `${where} ${BN_WHERE[loc]}`,
          module: (n: string) => mods(n)?.bottleneck[loc],
          fusion: (n: string) => src.fusion(n)?.layers.at(tower, i)?.[loc],
        };
        // no adapter of the setup here after all: the plain residual add
        return runBottleneckLocation(location, setup, o, r, info.layout) ?? added(k, o, r);
      }
      : undefined;
  const hasPrefix = c.used.some((a) => a.layers.at(tower, i)?.prefix);
  // ReFT runs only for the setup's first adapter (ReftLayer.forward uses setup.first())
  const reftModule = c.first.layers.at(tower, i)?.reft;
  const hooks: LayerHooks = {
    linearSites: sites.size ? sites : undefined,
    linear: sites.size
      ? (site, x, y, info) =>
        runLoraSite(
          { k, where: `${where} ${site}`, module: (n) => mods(n)?.lora[site] },
          setup,
          x,
          y,
          info.layout,
        )
      : undefined,
    prefix: hasPrefix
      ? (x, info) =>
        runPrefixSite(
          { k, where: `${where} prefix`, module: (n) => mods(n)?.prefix },
          setup,
          x,
          info.layout,
        )
      : undefined,
    afterAttention: bn("mh"),
    afterMlp: bn("out"),
    layerOutput: reftModule
      ? (h, info) => reftModule.apply(h, info.layout, c.reft, c.call.textMask, where)
      : undefined,
  };
  const any = hooks.linear || hooks.prefix || hooks.afterAttention || hooks.afterMlp ||
    hooks.layerOutput;
  return any ? hooks : undefined;
}
