// Step 1 of conversion: build the model from the f32 checkpoint with the quantize-at-load loaders
// (the exact code `loadClip(dir, { dtype: "int8" })` runs), recording every linear and embedding
// table by weight-key prefix so the writer can copy them out of linear memory.

import { EdgeClipError } from "../errors.ts";
import type { TensorEntry } from "../io/safetensors.ts";
import type { FileSet } from "../io/source.ts";
import { type OpenedSafetensors, openSafetensors } from "../io/weight_file.ts";
import { ClipModel } from "../model/clip_model.ts";
import { type ClipConfig, parseClipConfig } from "../model/config.ts";
import type { Embedding, EmbeddingLoader } from "../model/embedding.ts";
import { quantizingEmbeddingLoader } from "../model/embedding_q8.ts";
import type { Linear, LinearLoader } from "../model/linear.ts";
import {
  DEFAULT_Q8_POLICY,
  type Q8Policy,
  quantizingLinearLoader,
  type WeightTransform,
} from "../model/linear_q8.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";
import { restrictTowers, type Towers, towerView } from "./package.ts";

export interface QuantizeOptions {
  towers?: Towers;
  policy?: Q8Policy;
  /** Adjusts each dense f32 weight before it is quantized (e.g. merging a LoRA adapter). */
  transform?: WeightTransform;
  variant?: KernelVariant;
}

/** The quantized model in linear memory, with what the writer needs to lay out the package. */
export interface Quantized {
  readonly kernels: Kernels;
  readonly model: ClipModel;
  readonly cfg: ClipConfig;
  readonly configText: string;
  readonly towers: Towers;
  /** The source weight file, still open (the writer copies the unquantized tensors from it). */
  readonly source: OpenedSafetensors;
  /** `clip.` when every source key carries it (CLIPAdapterModel checkpoints), else "". */
  readonly keyPrefix: string;
  readonly linears: ReadonlyMap<string, Linear>;
  readonly embeddings: ReadonlyMap<string, Embedding>;
  /** Source tensor names in the order the model loader first read them. */
  readonly readOrder: readonly string[];
}

/** Loads `files` (a Hugging Face folder) quantized; the caller closes `source`. */
export async function quantizeCheckpoint(
  files: FileSet,
  opts: QuantizeOptions = {},
): Promise<Quantized> {
  const name = "model.safetensors";
  if (!(await files.exists(name))) {
    throw new EdgeClipError("source_unavailable", `${files.label}: no ${name} to convert`, {
      source: files.label,
      file: name,
    });
  }
  const configText = await files.text("config.json");
  const source = await openSafetensors(files, name);
  try {
    const towers = opts.towers ?? "both";
    const cfg = restrictTowers(
      parseClipConfig(configText, (key) => source.header.entries.has(key)),
      towers,
      files.label,
    );
    const linears = new Map<string, Linear>();
    const embeddings = new Map<string, Embedding>();
    const lin = quantizingLinearLoader(opts.policy ?? DEFAULT_Q8_POLICY, opts.transform);
    const linear: LinearLoader = async (scope, spec) => {
      const l = await lin(scope, spec);
      linears.set(scope.prefix, l);
      return l;
    };
    const embedding: EmbeddingLoader = async (scope, vocab, dim) => {
      const e = await quantizingEmbeddingLoader(scope, vocab, dim);
      embeddings.set(scope.prefix, e);
      return e;
    };
    const kernels = Kernels.create(opts.variant);
    // the package is written in this order, so loading it reads the file front to back
    const readOrder: string[] = [], seen = new Set<string>();
    const recorded = {
      ...source,
      read(e: TensorEntry, dest: Uint8Array) {
        if (!seen.has(e.name)) {
          seen.add(e.name);
          readOrder.push(e.name);
        }
        return source.read(e, dest);
      },
    };
    const model = await ClipModel.load(towerView(recorded, towers), cfg, kernels, {
      linear,
      embedding,
    });
    const keys = [...source.header.entries.keys()];
    const keyPrefix = keys.length > 0 && keys.every((n) => n.startsWith("clip.")) ? "clip." : "";
    return {
      kernels,
      model,
      cfg,
      configText,
      towers,
      source,
      keyPrefix,
      linears,
      embeddings,
      readOrder,
    };
  } catch (e) {
    source.close();
    throw e;
  }
}
