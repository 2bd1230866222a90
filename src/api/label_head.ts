// A classifier package's label head, made on a model opened for conversion: the labels embedded
// exactly as classify embeds them (Clip.embedLabels: prompt ensembles over the templates), with the
// adapters given: LoRA-family ones merged into the weights (the package keeps the merged vision
// tower), the others active while the labels are embedded (they must act on the text side only).

import type { LabelHead, LoadedModel } from "../checkpoint/open.ts";
import { EdgeClipError } from "../errors.ts";
import type { Source } from "../io/source.ts";
import type { ClassifyOptions } from "./classify.ts";
import { resolveTemplates } from "./classify.ts";
import { noTower } from "./forward.ts";
import { clipFromLoaded } from "./load.ts";
import { type AdapterSetup, Stack } from "./setup.ts";
import { TEMPLATE_PRESETS } from "./templates.ts";

export interface LabelHeadOptions {
  readonly labels: readonly string[];
  /** As classify's `template`: a template, several (ensembled) or a preset name. */
  readonly template?: ClassifyOptions["template"];
  /** Adapter folders, in order. */
  readonly adapters?: readonly Source[];
}

/**
 * Embeds `labels` on `loaded` (its text tower, in the dtype it was opened with). Adapters with
 * LoRA-family weights are merged into `loaded`'s weights first (so a package written from it
 * holds them); what an adapter still does at run time must be on the text tower alone.
 */
export async function makeLabelHead(
  loaded: LoadedModel,
  opts: LabelHeadOptions,
): Promise<LabelHead> {
  if (!loaded.model.text) throw noTower("text");
  const labels = opts.labels;
  if (
    labels.some((l) => typeof l !== "string" || l === "") || new Set(labels).size < labels.length
  ) {
    throw new EdgeClipError(
      "invalid_input",
      "a classifier's labels must be non-empty strings, each given once",
    );
  }
  const templates = resolveTemplates(opts.template);
  const clip = await clipFromLoaded(loaded);
  const adapters: { name: string; merged: boolean }[] = [];
  for (const source of opts.adapters ?? []) {
    const name = await clip.loadAdapter(source);
    adapters.push({ name, merged: await tryMerge(() => clip.mergeAdapter(name)) });
  }
  const active: string[] = [];
  for (const { name } of adapters) {
    const towers = clip.adapterTowers(name);
    if (towers.includes("vision")) {
      throw new EdgeClipError(
        "adapter_unsupported",
        `${name} acts on the vision tower with modules that cannot be merged into its weights ` +
          "(only LoRA-family weights without gating merge); a classifier package holds the " +
          "vision tower's weights alone: use such an adapter, or one that leaves the vision " +
          "layers out",
        { adapter: name },
      );
    }
    if (towers.includes("text")) active.push(name);
  }
  const setup: AdapterSetup | null = active.length === 0
    ? null
    : active.length === 1
    ? active[0]
    : Stack(...active);
  const embeddings = await clip.embedLabels(opts.labels, { template: templates, adapters: setup });
  const preset = typeof opts.template === "string" && TEMPLATE_PRESETS.has(opts.template)
    ? opts.template
    : undefined;
  return {
    labels: [...opts.labels],
    templates,
    made: {
      text_dtype: loaded.dtype,
      ...(preset ? { template_preset: preset } : {}),
      adapters: adapters.map((a) => ({ ...a, active: active.includes(a.name) })),
    },
    embeddings,
  };
}

/** Merges an adapter; false when it has nothing mergeable (no LoRA-family weights, gating). */
async function tryMerge(merge: () => Promise<void>): Promise<boolean> {
  try {
    await merge();
    return true;
  } catch (e) {
    if (e instanceof EdgeClipError && e.code === "adapter_unsupported") return false;
    throw e;
  }
}
