// Opening the model a command names: --model (with --revision, --cache-dir, --offline for Hub ids),
// --dtype, --int8-precision, --adapter.

import type { Clip } from "../api/clip.ts";
import { loadClip } from "../api/load.ts";
import { EdgeClipError } from "../errors.ts";
import { dtypeFlag, precisionFlag, UsageError } from "./args.ts";
import { progressBar } from "./progress.ts";

/** Flags every model-using command shares. */
export const MODEL_OPTIONS = {
  model: { type: "string" },
  dtype: { type: "string" },
  "int8-precision": { type: "string" },
  adapter: { type: "string", multiple: true },
  revision: { type: "string" },
  "cache-dir": { type: "string" },
  offline: { type: "boolean" },
} as const;

/** A loaded model with what the command line said about it. */
export interface OpenedModel {
  readonly clip: Clip;
  /** The --model argument as given. */
  readonly source: string;
  readonly dtype: "f32" | "int8" | "int4";
  /** Names of the adapters loaded from --adapter folders, in order. */
  readonly adapters: readonly string[];
}

/** A Hugging Face Hub id ("org/name"). */
const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * The name a served model answers to when --name is not given: the Hub id it was saved from
 * (config.json's `_name_or_path`, when it is one), else the last segment of its path without
 * `.safetensors` (a folder "…/clip-vit-base-patch32" serves as "clip-vit-base-patch32").
 */
export function modelName(source: string, configName = ""): string {
  if (HUB_ID.test(configName) && !configName.startsWith(".")) return configName;
  const parts = source.replace(/[\\/]+$/, "").split(/[\\/]/);
  return parts[parts.length - 1].replace(/\.safetensors$/, "") || "clip";
}

/** Loads --model with --dtype, then loads and activates the --adapter folders. */
export async function openModel(
  command: string,
  values: {
    model?: string;
    dtype?: string;
    "int8-precision"?: string;
    adapter?: string[];
    revision?: string;
    "cache-dir"?: string;
    offline?: boolean;
  },
  fallbackModel?: string,
): Promise<OpenedModel> {
  const source = values.model ?? fallbackModel;
  if (!source) throw new UsageError("--model is required", command);
  const dtype = dtypeFlag(command, values.dtype);
  const int8Precision = precisionFlag(command, values["int8-precision"]);
  // where Hub ids are cached: the model's and any adapter's
  const hub = {
    ...(values["cache-dir"] !== undefined && { cacheDir: values["cache-dir"] }),
    ...(values.offline && { offline: true }),
  };
  const bar = progressBar();
  let clip: Clip;
  try {
    clip = await loadClip(source, {
      dtype,
      int8Precision,
      onProgress: bar.onProgress,
      ...(values.revision !== undefined && { revision: values.revision }),
      ...hub,
    });
  } finally {
    bar.end();
  }
  // an explicit --dtype that the file cannot run was refused by loadClip (invalid_input)
  const adapters: string[] = [];
  for (const dir of values.adapter ?? []) adapters.push(await clip.loadAdapter(dir, hub));
  if (adapters.length === 1) clip.setActiveAdapters(adapters[0]);
  else if (adapters.length > 1) {
    // several adapters need a composition block (Stack), which the api does not expose yet
    throw new EdgeClipError(
      "adapter_unsupported",
      "one --adapter at a time: composing several adapters from the command line is not available yet",
    );
  }
  return { clip, source, dtype: clip.dtype, adapters };
}
