// Opens a model source: a Hugging Face CLIP folder (config.json + model.safetensors + tokenizer
// and preprocessor files), from disk, URL or memory. Builds the model in a fresh kernel instance.

import { EdgeClipError } from "../errors.ts";
import { resolveSource, type Source } from "../io/source.ts";
import { openSafetensors } from "../io/weight_file.ts";
import { ClipModel, type LoadOptions } from "../model/clip_model.ts";
import { parseClipConfig } from "../model/config.ts";
import type { FileSet } from "../io/source.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";

export interface LoadedModel {
  readonly model: ClipModel;
  readonly kernels: Kernels;
  /** The folder the model came from (tokenizer and preprocessor files are read from it). */
  readonly files: FileSet;
  /** Metadata of the weight file (`__metadata__`). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface OpenOptions extends LoadOptions {
  /** Force a kernel build (tests); default: the best the host validates. */
  variant?: KernelVariant;
}

/** Loads config.json + model.safetensors from `source`. */
export async function openModel(source: Source, opts: OpenOptions = {}): Promise<LoadedModel> {
  const { files, single } = await resolveSource(source);
  if (single) {
    throw new EdgeClipError(
      "model_format",
      `${single}: a single safetensors file must be an edgeclip package; for a Hugging Face ` +
        `checkpoint pass its folder (config.json beside model.safetensors)`,
    );
  }
  const weightsName = "model.safetensors";
  if (!(await files.exists(weightsName))) {
    const hint = (await files.exists("pytorch_model.bin"))
      ? " (only pytorch_model.bin is present: convert it to safetensors first)"
      : "";
    throw new EdgeClipError(
      "source_unavailable",
      `${files.label}: no ${weightsName}${hint}`,
      { source: files.label, file: weightsName },
    );
  }
  const configText = await files.text("config.json");
  const weights = await openSafetensors(files, weightsName);
  try {
    const cfg = parseClipConfig(configText, (key) => weights.header.entries.has(key));
    const kernels = Kernels.create(opts.variant);
    const model = await ClipModel.load(weights, cfg, kernels, opts);
    return { model, kernels, files, metadata: weights.header.metadata };
  } finally {
    weights.close();
  }
}
