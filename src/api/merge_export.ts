// Merging adapters into a checkpoint before quantization (`convert --adapter DIR --merge`): the f32
// model is loaded, the adapters are merged into it, and the converter takes each wrapped linear's
// merged f32 weight from it instead of the checkpoint's.

import { EdgeClipError } from "../errors.ts";
import type { Source } from "../io/source.ts";
import type { Tower } from "../model/hooks.ts";
import type { WeightTransform } from "../model/linear_q8.ts";
import { AdapterHost } from "../adapters/host.ts";
import { openModel } from "./load.ts";

/** A weight transform that replaces wrapped linears by their adapter-merged f32 weights. */
export async function mergedWeights(
  source: Source,
  adapterDirs: readonly Source[],
): Promise<{ transform: WeightTransform; merged: string[] }> {
  if (adapterDirs.length === 0) {
    throw new EdgeClipError("invalid_input", "no adapter to merge");
  }
  const loaded = await openModel(source);
  const host = new AdapterHost(loaded.model);
  const merged: string[] = [];
  for (const dir of adapterDirs) {
    const name = await host.load(dir, {});
    await host.merge(name);
    merged.push(name);
  }
  const layers = (tower: Tower) =>
    (tower === "text" ? loaded.model.text?.layers : loaded.model.vision?.layers) ?? [];
  const transform: WeightTransform = (place, w) => {
    if (!("layer" in place) || place.linear === "out") return; // not a hook site
    const layer = layers(place.tower)[place.layer];
    if (layer) w.set(layer.linearAt(place.linear).readWeight());
  };
  return { transform, merged };
}
