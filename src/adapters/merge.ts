// Merging LoRA-family adapters (LoRA, IA3, DoRA, VeRA) into a checkpoint's weights as they load
// (`convert --adapter DIR --merge`): the adapters are read against the config's shape first, then
// the model is opened once with a weight transform that folds each covered f32 weight W into
// merged(W) before it is quantized. No f32 model is built (DoRA's norm comes from W itself).

import { EdgeClipError } from "../errors.ts";
import { resolveSource, type Source } from "../io/source.ts";
import type { ClipConfig } from "../model/config.ts";
import type { WeightTransform } from "../model/linear.ts";
import type { Kernels } from "../wasm/kernels.ts";
import {
  type LoadedAdapter,
  type ModelShape,
  PerLayer,
  type SitePlace,
  type TowerShape,
} from "./adapter.ts";
import { loadAdapterFolder } from "./loading.ts";
import type { LinearSite } from "../model/hooks.ts";
import type { LoraModule } from "./methods/lora.ts";

/** The shape adapters are read against: every tower of `cfg`, layer ids text first. */
export function configShape(cfg: ClipConfig): ModelShape {
  const towers: TowerShape[] = [];
  let firstId = 0;
  for (const [tower, c] of [["text", cfg.text], ["vision", cfg.vision]] as const) {
    if (!c) continue;
    towers.push({
      tower,
      hidden: c.hiddenSize,
      intermediate: c.intermediateSize,
      heads: c.numHeads,
      layers: c.numLayers,
      firstId,
    });
    firstId += c.numLayers;
  }
  return { towers };
}

/** A transform merging adapters, with their names; free() gives their memory back. */
export interface MergeTransform {
  readonly transform: WeightTransform;
  /** The adapters merged, in the order given. */
  readonly names: readonly string[];
  free(): void;
}

/**
 * Loads the adapter folders into `k` (their own kernel instance: the transform runs while the
 * model's memory is being filled) and returns the transform that merges them. Each linear takes
 * at most one adapter, and only LoRA-family weights without gating merge.
 */
export async function mergeTransform(
  k: Kernels,
  folders: readonly Source[],
  shape: ModelShape,
): Promise<MergeTransform> {
  if (folders.length === 0) throw new EdgeClipError("invalid_input", "no adapter to merge");
  const adapters: LoadedAdapter[] = [];
  const free = () => adapters.forEach((a) => a.owner.free());
  try {
    const sites = new PerLayer<Partial<Record<LinearSite, LoraModule>>>(shape, () => ({}));
    for (const folder of folders) {
      const files = (await resolveSource(folder)).files;
      const a = await loadAdapterFolder(k, files, { model: shape });
      adapters.push(a);
      checkMergeable(a, adapters, sites);
      for (const [p, mod] of a.loras()) sites.at(p.tower, p.layer)![p.linear] = mod;
    }
    const transform: WeightTransform = (place, w) => {
      if (!("layer" in place) || place.linear === "out") return; // not a LoRA site
      const mod = sites.at(place.tower, place.layer)?.[place.linear];
      if (mod) w.set(mod.merged(w));
    };
    return { transform, names: adapters.map((a) => a.name), free };
  } catch (e) {
    free();
    throw e;
  }
}

/** Refuses what the library cannot merge, or what would merge twice into one linear. */
function checkMergeable(
  a: LoadedAdapter,
  loaded: readonly LoadedAdapter[],
  sites: PerLayer<Partial<Record<LinearSite, LoraModule>>>,
): void {
  if (loaded.some((b) => b !== a && b.name === a.name)) {
    throw new EdgeClipError(
      "adapter_setup",
      `an adapter named ${JSON.stringify(a.name)} is already loaded`,
    );
  }
  if (!a.hasLora) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `${a.name} has no LoRA-family weights; only LoRA/IA3 can be merged`,
    );
  }
  for (const [p, mod] of a.loras()) {
    const other = sites.at(p.tower, p.layer)?.[p.linear];
    if (other) {
      throw new EdgeClipError(
        "adapter_setup",
        `${where(p)} already has ${other.name} merged; only one adapter can be merged per layer`,
      );
    }
    if (mod.cfg.useGating) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `cannot merge ${a.name}: LoRA layers with gating cannot be merged`,
      );
    }
  }
}

const where = (p: SitePlace) => `${p.tower} layer ${p.layer} ${p.linear}`;
